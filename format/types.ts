/**
 * The typed formation the loader returns. Field types come from the generated file (the schema
 * is the one source of truth); this file only ties each `kind` to its spec, which JSON Schema
 * expresses with `if`/`then` and the generator cannot.
 */
import type { Formation as FormationDocument, MachineSpec, DockerSpec, PoolSpec, VirtualLabSpec, EMRClusterSpec, HPCClusterSpec } from "./types.generated.js";
import schema from "../schemas/formation.schema.json" with { type: "json" };

export type * from "./types.generated.js";

export interface SpecByKind {
  Machine: MachineSpec;
  Docker: DockerSpec;
  Pool: PoolSpec;
  VirtualLab: VirtualLabSpec;
  EMRCluster: EMRClusterSpec;
  HPCCluster: HPCClusterSpec;
}

export type Kind = keyof SpecByKind;
export type Provider = FormationDocument["cloud"]["provider"];

export const KINDS: readonly Kind[] = ["Machine", "Docker", "Pool", "VirtualLab", "EMRCluster", "HPCCluster"];
/** The schema's providers (its `cloud.provider` enum: the one list; clouds/index.ts has a cloud for each). */
export const PROVIDERS: readonly Provider[] = schema.$defs.cloud.properties.provider.enum as Provider[];

type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** A validated formation of one kind, defaults applied, deeply frozen. */
export type FormationOf<K extends Kind> = DeepReadonly<Omit<FormationDocument, "kind" | "spec"> & { kind: K; spec: SpecByKind[K] }>;

/** A validated formation, defaults applied, deeply frozen; narrow on `kind`. */
export type Formation = { [K in Kind]: FormationOf<K> }[Kind];
