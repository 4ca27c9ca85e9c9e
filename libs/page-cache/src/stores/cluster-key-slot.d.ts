// cluster-key-slot ships no types; this is the one function of it we call.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot of a key (its hash tag only, if it has one), as `CLUSTER KEYSLOT`. */
  function calculateSlot(key: string | Uint8Array): number;
  export = calculateSlot;
}
