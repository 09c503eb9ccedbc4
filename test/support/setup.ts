// Tests log nothing unless asked.
process.env.LOG_LEVEL ??= 'silent';
