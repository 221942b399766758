/**
 * The session lock of a file:// backend: `<dir>/.formations/locks/<project>/<session>.json`, a
 * path of formations' own beside Pulumi's `.pulumi/` (whose lock the engine takes inside our
 * operation). Created whole and atomically: written to a private temporary file, then hard-linked
 * into place (link fails when the lock exists, on local disks and NFS alike), so nobody ever reads
 * a half-written lock; where a file system has no hard links, an exclusive create (O_EXCL) instead.
 * A version is the hash of its content; replacing and removing check it first (a removal moves
 * the lock aside, then checks, and puts back a lock that was not the one meant).
 */
import { createHash, randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileBackendDir } from "../backend.js";
import { localFileError } from "../errors.js";
import type { LockBackend, LockStore } from "./index.js";

export class FileLockBackend implements LockBackend {
  private readonly dir: string;

  constructor(url: string) {
    const dir = fileBackendDir(url);
    if (!dir) throw new Error(`not a file:// backend: ${url}`);
    this.dir = dir;
  }

  store(project: string, session: string): LockStore {
    return new FileLockStore(join(this.dir, ".formations", "locks", project, `${session}.json`));
  }
}

/** Errors of file systems without hard links: fall back to an exclusive create. */
const NO_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"]);

export class FileLockStore implements LockStore {
  constructor(readonly path: string) {}

  get where(): string {
    return this.path;
  }

  async create(body: string): Promise<string | undefined> {
    return this.guard("create the session lock", async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = this.aside("tmp");
      await writeFile(tmp, body, { flag: "wx" });
      try {
        await link(tmp, this.path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "";
        if (code === "EEXIST") return undefined;
        if (!NO_LINKS.has(code)) throw err;
        if (!(await exclusiveCreate(this.path, body))) return undefined;
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
      return hash(body);
    });
  }

  async read(): Promise<{ body: string; tag: string } | undefined> {
    return this.guard("read the session lock", async () => {
      const body = await readFile(this.path, "utf8").catch(missing);
      return body === undefined ? undefined : { body, tag: hash(body) };
    });
  }

  async replace(tag: string, body: string): Promise<string | undefined> {
    return this.guard("refresh the session lock", async () => {
      const now = await readFile(this.path, "utf8").catch(missing);
      if (now === undefined || hash(now) !== tag) return undefined;
      const tmp = this.aside("tmp");
      await writeFile(tmp, body, { flag: "wx" });
      await rename(tmp, this.path);
      return hash(body);
    });
  }

  async remove(tag: string): Promise<boolean> {
    return this.guard("remove the session lock", async () => {
      const aside = this.aside("removed");
      try {
        await rename(this.path, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
        throw err;
      }
      const body = await readFile(aside, "utf8");
      if (hash(body) !== tag) {
        // Not the version meant (its holder released it and another took the lock meanwhile): put it back.
        await link(aside, this.path).catch(() => undefined);
        await unlink(aside);
        return false;
      }
      await unlink(aside);
      return true;
    });
  }

  private aside(kind: string): string {
    return `${this.path}.${process.pid}.${randomBytes(6).toString("hex")}.${kind}`;
  }

  private async guard<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw localFileError(err, doing) ?? err;
    }
  }
}

/** O_EXCL create with the body written: whether this call created it. */
async function exclusiveCreate(path: string, body: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, "wx");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    await handle.writeFile(body);
  } finally {
    await handle.close();
  }
  return true;
}

function missing(err: unknown): undefined {
  if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  throw err;
}

function hash(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}
