#!/usr/bin/python3
# Mininet's `single,N` (one Linux bridge, no controller: `mn --topo single,N --switch lxbr
# --controller none`) built, started and stopped through Mininet's Python API, for `npm run bench`
# (bench/mininet.ts). The bench runs this inside an nsplay session's host namespace: Mininet's "root"
# side (the bridge s1, its ports) lives in that namespace and its hosts are namespaces unshared from
# it, so nothing of Mininet's reaches the machine's root namespace.
#
# Never called here: Mininet.init() (its fixLimits() raises machine-wide sysctls and never restores
# them) and Mininet's clean-up (`mn -c` kills every ping on the machine and deletes links by name
# pattern). Stopping is net.stop(), which ends the nodes Mininet started (by their process group).
#
# Prints one JSON line: build, start and stop times (ms), whether h1 reached hN, every node's PID.
import json
import sys
import time

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.nodelib import LinuxBridge
from mininet.topo import SingleSwitchTopo


def main():
    n = int(sys.argv[1])
    if not 2 <= n <= 1000:
        raise SystemExit('N must be 2..1000')
    setLogLevel('error')
    Mininet.inited = True  # skip Mininet.init(): fixLimits() would change machine-wide sysctls
    out = {'n': n}
    t0 = time.perf_counter()
    net = Mininet(topo=SingleSwitchTopo(n), switch=LinuxBridge, controller=None, build=False,
                  autoSetMacs=False, waitConnected=False)
    try:
        net.build()
        t1 = time.perf_counter()
        net.start()
        t2 = time.perf_counter()
        h1, hn = net.get('h1'), net.get('h%d' % n)
        # One ping, outside the timed part: the network Mininet built works.
        out['ping'] = ' 0% packet loss' in h1.cmd('ping', '-c1', '-W2', hn.IP())
        t3 = time.perf_counter()
        out.update(build=(t1 - t0) * 1000, start=(t2 - t1) * 1000)
    except Exception as e:  # pylint: disable=broad-except
        out['error'] = '%s: %s' % (type(e).__name__, e)
        t3 = time.perf_counter()
    finally:
        # Every node started so far, for the bench to check that none outlives net.stop().
        out['pids'] = [node.pid for node in net.hosts + net.switches if getattr(node, 'pid', None)]
        net.stop()
    out['stop'] = (time.perf_counter() - t3) * 1000
    print(json.dumps(out), flush=True)


main()
