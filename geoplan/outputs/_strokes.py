"""Street "strokes": edges joined into long polylines that run straight on through junctions.

A walking network is a graph of short straight segments; drawn one by one a city is hundreds of thousands of
tiny lines. Joining, at every junction, the pairs of segments that continue each other most nearly straight
(deflection under :data:`MAX_DEFLECTION_DEG`; at a bend of a way, always) gives the strokes a reader sees as
streets: far fewer lines and vertices, and a natural measure of importance (a stroke's length) for choosing
what to leave out at city scale.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

#: Largest change of direction (degrees) at a junction for two segments to be one stroke.
MAX_DEFLECTION_DEG: Final = 35.0
#: Junctions with more segments than this are not paired (stroke ends there).
MAX_DEGREE: Final = 6


def strokes(x: NDArray[np.float64], y: NDArray[np.float64], u: NDArray[np.int64],
            v: NDArray[np.int64]) -> list[NDArray[np.int64]]:
    """Node sequences of the strokes of a graph (every edge in exactly one stroke; self-loops dropped).

    Parameters
    ----------
    x, y : ndarray
        Node coordinates (metric).
    u, v : ndarray
        Edge end nodes.

    Returns
    -------
    list of ndarray
        Per stroke, its nodes in order (a closed stroke repeats its first node at the end).
    """
    keep = u != v
    u, v = np.asarray(u[keep]), np.asarray(v[keep])
    m = u.size
    if m == 0:
        return []
    node = np.concatenate([u, v])  # half-edge h < m: edge h at u; h >= m: edge h - m at v
    other = np.concatenate([v, u])
    angle = np.arctan2(y[other] - y[node], x[other] - x[node])
    partner = _pair(node, angle, m)
    out: list[NDArray[np.int64]] = []
    seen = np.zeros(m, dtype=bool)
    ends = np.flatnonzero(partner < 0)  # stroke ends first, then what is left (closed loops)
    for start in [*ends.tolist(), *range(m)]:
        if seen[start % m]:
            continue
        out.append(_walk(start, partner, node, seen, m))
    return out


def _pair(node: NDArray[np.int64], angle: NDArray[np.float64], m: int) -> NDArray[np.int64]:
    """Per half-edge, the half-edge it continues into at its node (-1: none), straightest pairs first."""
    order = np.argsort(node, kind="stable")
    sorted_nodes = node[order]
    starts = np.flatnonzero(np.r_[True, sorted_nodes[1:] != sorted_nodes[:-1]])
    counts = np.diff(np.r_[starts, sorted_nodes.size])
    first: list[NDArray[np.int64]] = []
    second: list[NDArray[np.int64]] = []
    for d in range(2, MAX_DEGREE + 1):
        at = starts[counts == d]
        for i in range(d):
            for j in range(i + 1, d):
                first.append(order[at + i])
                second.append(order[at + j])
    partner = np.full(2 * m, -1, dtype=np.int64)
    if not first:
        return partner
    a, b = np.concatenate(first), np.concatenate(second)
    turn = np.abs(angle[a] - angle[b]) % (2 * math.pi)
    deflection = math.pi - np.minimum(turn, 2 * math.pi - turn)  # 0: straight on
    degree = np.zeros(node.max() + 1, dtype=np.int64)
    np.add.at(degree, node, 1)
    ok = ((deflection < math.radians(MAX_DEFLECTION_DEG)) | (degree[node[a]] == 2)) & (a % m != b % m)
    a, b, deflection = a[ok], b[ok], deflection[ok]
    for k in np.argsort(deflection, kind="stable").tolist():
        p, q = int(a[k]), int(b[k])
        if partner[p] < 0 and partner[q] < 0:
            partner[p], partner[q] = q, p
    return partner


def _walk(start: int, partner: NDArray[np.int64], node: NDArray[np.int64], seen: NDArray[np.bool_],
          m: int) -> NDArray[np.int64]:
    """Follow a stroke from half-edge ``start`` (its first node) to its end."""
    seq = [int(node[start])]
    h = start
    while True:
        e = h % m
        seen[e] = True
        far = h + m if h < m else h - m
        seq.append(int(node[far]))
        nxt = int(partner[far])
        if nxt < 0 or seen[nxt % m]:
            return np.asarray(seq, dtype=np.int64)
        h = nxt
