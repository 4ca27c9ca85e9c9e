import { cpus, release, totalmem } from 'node:os';

/** The machine a run measured on; every figure names it. */
export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  os: string;
  memoryGiB: number;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cores: list.length,
    cpu: (list[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(),
    node: process.version,
    os: `${process.platform} ${release()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/** `2 cores (AMD EPYC), Node v20.20.2` */
export function machineLabel(machine: Machine): string {
  return `${machine.cores} cores (${machine.cpu}), Node ${machine.node}`;
}
