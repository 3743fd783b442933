"""The platform simulator and its ground truth.

A seeded population of creators, posts and heating nodes (``population``)
drives a self-exciting process per post (``process``, ``series``); the
result is served in each platform's own API formats (``server``,
``platforms``) on a virtual clock (``clock``), with faults on demand
(``faults``) and an exact ground truth (``truth``) to score analytics against.

Typical test use::

    sim = Simulation.build(seed=7, posts=200)
    with ServerThread(sim) as url:
        ...                       # point adapters at url
        sim.clock.advance(24)     # hours
    truth = sim.truth()
"""

from tracker.simulate.clock import VirtualClock
from tracker.simulate.server import ServerThread, create_app
from tracker.simulate.simulation import Simulation, load_truth

__all__ = ["ServerThread", "Simulation", "VirtualClock", "create_app", "load_truth"]
