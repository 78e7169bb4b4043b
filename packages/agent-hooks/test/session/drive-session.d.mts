export interface SessionCall {
  readonly tool: string;
  readonly note: string;
  readonly outcome: 'allow' | 'ask' | 'deny' | 'no opinion' | 'no decision';
  readonly reason: string;
}
export interface SessionRun {
  readonly profile: string;
  readonly calls: readonly SessionCall[];
  readonly tally: Readonly<Record<SessionCall['outcome'], number>>;
}
export const SESSION_FILE: string;
export const PROFILES: readonly string[];
export function driveSession(profile?: string): Promise<SessionRun>;
