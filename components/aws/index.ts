export const awsAdapter = undefined as never;
