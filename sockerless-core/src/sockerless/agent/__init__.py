"""The agent protocol and the daemon's bridge to agents running inside workloads.

* :mod:`.protocol`: the wire format (standard library only: the agent imports it too);
* :mod:`.channel`: sessions multiplexed on one WebSocket (both ends);
* :mod:`.tokens`: per-container tokens;
* :mod:`.link` and :mod:`.hub`: reaching agents (forward: the daemon dials; reverse: the
  agent dials the daemon's dedicated agent endpoint);
* :mod:`.bridge` and :mod:`.hooks`: agent sessions as the backend hooks' processes.

Only :mod:`.protocol`, :mod:`.channel` and :mod:`.tokens` are imported by the agent; they
must not import the engine, the server or any third-party package but ``websockets``.
"""
