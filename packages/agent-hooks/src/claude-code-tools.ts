/**
 * A Claude Code tool the hook gives no opinion on: it cannot act on the world (outside the session) by itself, so
 * Claude Code's own permissions apply. `why` says what the tool does and why that is so; `source` is where Claude
 * Code documents the tool. A tool joins this table only when every effect it has outside the session goes through
 * another tool call that comes through the hook (a subagent's, a skill's) or through nothing at all.
 */
export interface PassThroughTool {
  readonly tool: string;
  readonly why: string;
  readonly source: string;
}

const TOOLS_DOC = 'https://docs.claude.com/en/docs/claude-code/settings#tools-available-to-claude';

/**
 * The pass-through tools, reviewed against the Claude Code tools docs on 2026-12-06. A tool that is neither here
 * nor mapped by `claudeCodeActions` is sent as `agent_tool_call` and denied: add it here only with a reason.
 */
export const CLAUDE_CODE_PASS_THROUGH: readonly PassThroughTool[] = [
  { tool: 'TodoWrite', why: "edits the session's to-do list", source: TOOLS_DOC },
  { tool: 'ExitPlanMode', why: 'asks the user to leave plan mode', source: TOOLS_DOC },
  { tool: 'EnterPlanMode', why: 'switches the session to plan mode (read-only)', source: TOOLS_DOC },
  {
    tool: 'AskUserQuestion',
    why: 'asks the user a multiple-choice question in the session',
    source: TOOLS_DOC,
  },
  {
    tool: 'Task',
    why: "starts a subagent; the subagent's own tool calls come through this hook",
    source: TOOLS_DOC,
  },
  { tool: 'Agent', why: 'the newer name of Task', source: TOOLS_DOC },
  {
    tool: 'BashOutput',
    why: 'reads the output of a background shell whose command was judged when it started',
    source: TOOLS_DOC,
  },
  {
    tool: 'KillShell',
    why: 'stops a background shell of this session (started by a judged Bash call)',
    source: TOOLS_DOC,
  },
  {
    tool: 'Skill',
    why: "loads a skill's instructions; the tool calls they lead to come through this hook",
    source: TOOLS_DOC,
  },
  {
    tool: 'SlashCommand',
    why: "expands a custom slash command's prompt; the tool calls it leads to come through this hook",
    source: TOOLS_DOC,
  },
  {
    tool: 'ListMcpResourcesTool',
    why: 'lists the resources the configured MCP servers offer (reading one is ReadMcpResourceTool, judged)',
    source: TOOLS_DOC,
  },
];
