export interface SessionCall {
  readonly tool: string;
  readonly note: string;
  /** Whether a reviewer wants the call silent (the session file's `benign`). */
  readonly benign: boolean;
  readonly outcome: 'allow' | 'ask' | 'deny' | 'no opinion' | 'no decision';
  readonly reason: string;
}
export interface SessionRun {
  readonly profile: string;
  readonly calls: readonly SessionCall[];
  readonly tally: Readonly<Record<SessionCall['outcome'], number>>;
  /** The benign calls, and how many of them ran without a prompt (allow, or no opinion). */
  readonly benign: BenignShare;
}
export interface BenignShare {
  readonly total: number;
  readonly silent: number;
}
export const SESSION_FILE: string;
export const PROFILES: readonly string[];
export function driveSession(profile?: string): Promise<SessionRun>;
export function share(benign: BenignShare): string;
