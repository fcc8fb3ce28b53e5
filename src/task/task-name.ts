// A task's name: the rule and the words that say it. Its own module, free of zod, so that the
// dashboard checks a new name exactly as the gateway does.

export const TASK_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** What TASK_NAME_PATTERN asks, for messages. */
export const TASK_NAME_RULE = "use 1-64 characters a-z, 0-9, '_' or '-', starting with a letter or digit";
