export const dockerAdapter = undefined as never;
