/** Process exit statuses shared by every `cocoon` command, so scripts can branch on them. */
export const EXIT_OK = 0;
/** The command ran and its answer is "no" (e.g. the quote does not verify). */
export const EXIT_INVALID = 1;
/** Bad usage or unreadable/malformed input: the command could not give an answer. */
export const EXIT_USAGE = 2;

/** Thrown by commands for usage/input problems; cli/index.ts maps it to EXIT_USAGE. */
export class UsageError extends Error {}
