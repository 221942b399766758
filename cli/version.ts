/** The CLI's version, as `formations --version` prints it. */
export const VERSION = "0.1.0";
