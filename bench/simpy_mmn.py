"""The single-region benchmark model in SimPy 4: an M/M/n+M queue (Erlang A).

lambda = 2 calls/min, handle time exp(12 min), patience exp(8 min), 24 nurses,
first come first served; a caller hangs up when her patience runs out before a
nurse takes her. Written the usual SimPy way (a process per caller, a Resource
for the nurses, a request raced against a timeout), as a planner would.

usage: python3 simpy_mmn.py CALLS [SEED]
"""
import random
import sys

import simpy

LAMBDA, HANDLE, PATIENCE, NURSES = 2.0, 12.0, 8.0, 24


def main():
    calls = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    env = simpy.Environment()
    nurses = simpy.Resource(env, capacity=NURSES)
    stats = {"answered": 0, "abandoned": 0, "wait": 0.0}

    def caller():
        arrival = env.now
        patience = rng.expovariate(1.0 / PATIENCE)
        with nurses.request() as req:
            result = yield req | env.timeout(patience)
            if req in result:
                stats["answered"] += 1
                stats["wait"] += env.now - arrival
                yield env.timeout(rng.expovariate(1.0 / HANDLE))
            else:
                stats["abandoned"] += 1

    def source():
        for _ in range(calls):
            yield env.timeout(rng.expovariate(LAMBDA))
            env.process(caller())

    env.process(source())
    env.run()
    answered = stats["answered"]
    print(f"calls {calls} answered_share {answered / calls:.5f} "
          f"mean_wait_answered_min {stats['wait'] / max(answered, 1):.4f}")


if __name__ == "__main__":
    main()
