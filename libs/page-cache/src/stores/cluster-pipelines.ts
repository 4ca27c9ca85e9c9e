import type { Cluster } from 'ioredis';

/** A command as ioredis' Cluster sends it (its internals, as far as they are used here). */
interface ClusterCommand {
  reject(error: Error): void;
  promise: Promise<unknown>;
}

/** The node a pipeline goes to: chosen by its first command that is sent (ioredis internals). */
interface PipelineNode {
  redis?: unknown;
}

type SendCommand = (command: ClusterCommand, stream?: object, node?: PipelineNode) => unknown;

const whole = new WeakSet<Cluster>();

/**
 * Keeps each pipeline of a Cluster client whole: all its commands go to one node, or none does.
 *
 * ioredis 6 sends a pipeline (every auto-pipelined command is in one) command by command, and
 * writes their bytes only once every command was written. The node is chosen by the first command
 * sent; when that command is refused first (its slot names an address the client has no
 * connection for — every `MOVED` under `natMap`, a node just dropped — and the master drawn in its
 * place is not ready), the next command draws again. The pipeline's other commands are then queued
 * on that node's connection while their bytes are never sent: every later reply on the connection
 * answers an earlier command (a `GET` gets another key's value, a `PTTL` the text of `INFO`) until
 * it closes. Here, once a command of a pipeline was refused before its node was chosen, the rest
 * of that pipeline is refused the same way: the pipeline fails whole, and ioredis sends it again
 * once the slots are read again (`retryDelayOnFailover`), or its callers see the error.
 *
 * Applied once per client; a client whose internals differ is left as it is.
 */
export function keepPipelinesWhole(cluster: Cluster): void {
  const client = cluster as unknown as { sendCommand?: SendCommand };
  const send = client.sendCommand;
  if (whole.has(cluster) || typeof send !== 'function') return;
  whole.add(cluster);
  /** The refusal of each pipeline (by its write stream) refused before its node was chosen. */
  const refused = new WeakMap<object, Error>();
  client.sendCommand = function (this: Cluster, command, stream, node) {
    if (stream === undefined || node === undefined) return send.call(this, command, stream, node);
    const refusal = refused.get(stream);
    if (refusal !== undefined) {
      command.reject(refusal);
      return command.promise;
    }
    if (node.redis !== undefined) return send.call(this, command, stream, node);
    // This command chooses the pipeline's node: a refusal now leaves it unchosen.
    const reject = command.reject;
    let error: Error | undefined;
    command.reject = (reason: Error) => {
      error = reason;
      reject.call(command, reason);
    };
    try {
      return send.call(this, command, stream, node);
    } finally {
      command.reject = reject;
      if (error !== undefined && node.redis === undefined) refused.set(stream, error);
    }
  };
}
