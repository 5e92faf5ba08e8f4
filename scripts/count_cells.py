"""Count the unique cells of a NAS-Bench-101-style space by their canonical keys (``CellSpace.key``).

Every edge set of at most ``--max-edges`` edges is pruned to what lies on an input-to-output path;
pruned shapes are merged exactly (the least relabelling of their inner nodes), and each shape's op
labellings are counted by canonical key. NAS-Bench-101 (7 vertices, 5 inner nodes, at most 9 edges,
3 ops) has 423,624 unique graphs (Ying et al., 2019).

python scripts/count_cells.py --nodes 5 --max-edges 9
"""

import argparse
import itertools
import time

from tqdm.auto import tqdm


def pruned_shapes(space) -> set[tuple[int, tuple[tuple[int, int], ...]]]:
    """Return (inner node count, edges on vertices 0..m+1 in the least topological relabelling) of every
    valid shape: one per shape up to isomorphism."""
    from bananas.spaces.cell import Cell

    filler = (space.op_names[0],) * space.nodes
    seen: set[frozenset] = set()
    limit = space.max_edges or len(space.pairs)
    for k in range(1, limit + 1):
        for edges in itertools.combinations(space.pairs, k):
            live = space._live(Cell(edges, filler))
            if live is not None:
                seen.add(frozenset((i, j) for i, j in edges if i in live and j in live))
    shapes = set()
    for edges in seen:
        inner = sorted({v for e in edges for v in e} - {0, space.output})
        m = len(inner)
        relabelled = (
            tuple(sorted((order.get(i, i if i == 0 else m + 1), order.get(j, m + 1)) for i, j in edges))
            for perm in itertools.permutations(range(1, m + 1))
            for order in [dict(zip(inner, perm, strict=True))]
        )
        least = min(form for form in relabelled if all(i < j for i, j in form))  # a topological order
        shapes.add((m, least))
    return shapes


def count(space) -> int:
    """Return the number of distinct canonical keys over every valid cell of ``space`` (ops on nodes)."""
    from bananas.spaces.cell import Cell

    keys = set()
    for m, edges in tqdm(sorted(pruned_shapes(space)), desc="shapes", unit="shape"):
        place = {0: 0, m + 1: space.output, **{v: v for v in range(1, m + 1)}}
        cell_edges = tuple(sorted((place[i], place[j]) for i, j in edges))
        for ops in itertools.product(space.op_names, repeat=m):
            keys.add(space.key(Cell(cell_edges, ops + (space.op_names[0],) * (space.nodes - m))))
    return len(keys)


def main() -> None:
    from bananas.cell_nets import NB101_OPS
    from bananas.spaces.cell import CellSpace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5, help="inner nodes (NAS-Bench-101: 5)")
    parser.add_argument("--max-edges", type=int, default=9)
    parser.add_argument("--ops", type=int, default=3, help="how many of the NAS-Bench-101 ops (1..3)")
    args = parser.parse_args()
    space = CellSpace(tuple(NB101_OPS)[: args.ops], args.nodes, max_edges=args.max_edges)
    start = time.perf_counter()
    n = count(space)
    print(
        f"unique cells: {n} (nodes {args.nodes}, max edges {args.max_edges}, ops {args.ops}) "
        f"in {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
