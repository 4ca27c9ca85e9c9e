/** A model a cached page or value is built from: a class (its name is used) or a name. */
// A class of any constructor signature: only its name is read.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ModelClass = abstract new (...args: any[]) => unknown;

/** A model reference: a class, or its name. */
export type ModelRef = ModelClass | string;

/** What an entry is built from: a whole model, or one entity of it. */
export type ModelDependency = ModelRef | { model: ModelRef; id: string | number };
