"""The intensity engine: a discrete-time, linear self-exciting process.

For one post, in hour t (views per hour)::

    x_k[t]  = Σ_j w_j · s_kj[t],   s_kj[t] = e^(-1/tau_j) · s_kj[t-1] + u_k[t]
    λ[t]    = μ[t] + Σ_k x_k[t] + α · Σ_{d≥1} φ(d) · f[t-d]
    N[t]    = λ[t] · ε[t]                      (realised views; ε = noise × daily cycle)
    f[t]    = N[t] · ē[t]                      (engagement-weighted views feed back)

``u_k`` is an exogenous input (publish burst, heating delivery, organic
shock); the response mixture over tau ∈ TAUS with weights ∝ tau^-θ gives a
power-law-like tail whose exponent varies per post, and the Erlang-2 kernel
φ(d) ∝ d·e^(-γd) (Σφ = 1) makes each view beget α more in expectation.

The recursion is linear in its inputs for a fixed noise path, so running it
once per input row (all with the same ε) decomposes the realised counts
exactly: Σ rows = the post's total, and dropping one row is the counterfactual
"without that pulse, same noise". Rows of all posts run together, vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TAUS = np.array([2.0, 8.0, 32.0, 128.0, 512.0])  # response time constants, hours
DECAYS = np.exp(-1.0 / TAUS)


def mixture_weights(theta: np.ndarray) -> np.ndarray:
    """(P, J) weights ∝ tau^-theta, scaled so a unit input yields one view in total."""
    raw = TAUS[None, :] ** -theta[:, None]
    mass = (raw / (1.0 - DECAYS[None, :])).sum(axis=1, keepdims=True)
    return raw / mass


@dataclass
class Rows:
    """Input rows of a batch: each row is one source of one post."""

    owner: np.ndarray  # (B,) post position in the batch
    direct: np.ndarray  # (B,) True: input is an intensity (baseline), False: passes the response mixture
    inputs: np.ndarray  # (B, H) input per hour: views/h when direct, injected views when not


def run(rows: Rows, theta: np.ndarray, alpha: np.ndarray, gamma: np.ndarray,
        noise: np.ndarray, feedback: np.ndarray) -> np.ndarray:
    """Realised views per row and hour, shape (B, H).

    ``theta``, ``alpha``, ``gamma``: (P,) per post. ``noise``: (P, H) multiplier
    on views (1 = noiseless). ``feedback``: (P, H) engagement noise factor ē.
    """
    n_rows, hours = rows.inputs.shape
    owner = rows.owner
    w = mixture_weights(theta)[owner]  # (B, J)
    g = np.exp(-gamma)[owner]  # (B,)
    excite = (alpha * (1.0 - np.exp(-gamma)) ** 2 / np.exp(-gamma))[owner]
    u_t = np.ascontiguousarray(rows.inputs.T)  # (H, B)
    eps_t = np.ascontiguousarray(noise[owner].T)
    fb_t = np.ascontiguousarray(feedback[owner].T)
    direct = rows.direct
    s = np.zeros((n_rows, len(TAUS)))
    a = np.zeros(n_rows)
    b = np.zeros(n_rows)
    out = np.empty((hours, n_rows))
    for t in range(hours):
        u = u_t[t]
        s *= DECAYS
        s += u[:, None]
        x = np.where(direct, u, (s * w).sum(axis=1))
        n = (x + excite * b) * eps_t[t]
        out[t] = n
        f = n * fb_t[t]
        b = g * (b + a + f)
        a = g * (a + f)
    return out.T


def input_profile(hours: int, volume: float, flat: bool) -> np.ndarray:
    """Hourly injected views for one source: even (heating delivery) or front-loaded."""
    if flat:
        return np.full(hours, volume / hours)
    weights = 0.6 ** np.arange(hours)
    return volume * weights / weights.sum()
