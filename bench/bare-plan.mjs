// The baseline of the plan bench: a bare Pulumi program, as a user would write it by hand with
// the same SDK classes (aws.ec2.Instance, random.RandomBytes, ...), that creates exactly the
// resources `formations plan --json` printed (same types, names, parents, inputs) under the same
// mocks — with none of our loading, validation, planning, adapters or output formatting.
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";

const { resources } = JSON.parse(readFileSync(process.argv[2], "utf8"));

/** `aws:ec2/instance:Instance` → the `Instance` class of `@pulumi/aws/ec2`. */
async function classOf(type) {
  if (type.startsWith("pulumi:providers:")) return (await import(`@pulumi/${type.split(":")[2]}/provider.js`)).Provider;
  const [pkg, mod, cls] = type.split(":");
  const dir = mod.split("/")[0];
  const m = await import(dir === "index" ? `@pulumi/${pkg}` : `@pulumi/${pkg}/${dir}/index.js`);
  return m[cls] ?? m.default?.[cls];
}

const classes = new Map();
for (const r of resources) if (!r.type.startsWith("formations:") && !classes.has(r.type)) classes.set(r.type, await classOf(r.type));

await pulumi.runtime.setMocks(
  {
    newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }),
    call: (a) => ({ ...a.inputs, id: "mock" }),
  },
  "formations",
  "bench",
  true,
);
const byName = new Map();
for (const r of resources) {
  const opts = r.parent ? { parent: byName.get(r.parent) } : {};
  const Cls = classes.get(r.type);
  byName.set(r.name, Cls ? new Cls(r.name, r.inputs, opts) : new pulumi.ComponentResource(r.type, r.name, {}, opts));
}
await pulumi.runtime.disconnect();
console.log(`${byName.size} resources`);
