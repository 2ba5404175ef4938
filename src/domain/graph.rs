//! A layered layout of a directed graph on a grid, for drawing a workflow's nodes as
//! boxes in columns with edges between them (Sugiyama's method, kept small):
//!
//! 1. cycles are tolerated by turning around the edges that close them (found by a
//!    depth-first search from the sources);
//! 2. each node's layer (column) is its longest path from a source, so sources sit
//!    left and every edge points right;
//! 3. an edge spanning several layers passes through a placeholder in each layer it
//!    crosses, so nothing is drawn through a node;
//! 4. nodes are ordered within their layer by the mean position of their neighbours
//!    (a few sweeps each way), then given rows: each node as level as it can be with
//!    its parents, below the one above it.
//!
//! Pure and total: any node count and any edge list, out-of-range ends included.

use std::collections::HashMap;

/// A cell of the grid: the column (`layer`) and the row in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Place {
    pub layer: usize,
    pub row: usize,
}

/// How one edge is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgePath {
    /// The places it passes, left to right, one per layer: where it starts, a
    /// placeholder in each layer it crosses, where it ends. A self-loop has just its
    /// node's place; an edge with an end out of range has none.
    pub points: Vec<Place>,
    /// The edge closes a cycle and runs right to left: it starts at the last point
    /// and its arrow points at the first.
    pub reversed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// Each node's place, in input order.
    pub nodes: Vec<Place>,
    /// Each edge's path, in input order.
    pub edges: Vec<EdgePath>,
    /// Columns used.
    pub layers: usize,
    /// Rows used (the most in any column).
    pub rows: usize,
}

/// Lays out `node_count` nodes joined by `edges` (from, to).
pub fn layout(node_count: usize, edges: &[(usize, usize)]) -> Layout {
    let n = node_count;
    let valid = |&(a, b): &(usize, usize)| a < n && b < n;
    let proper: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|e| valid(e) && e.0 != e.1)
        .collect();
    let search = depth_first(n, &proper);

    // The graph with cycle-closing edges turned around is acyclic.
    let turn = |(a, b): (usize, usize)| {
        if search.closes_cycle(a, b) {
            (b, a)
        } else {
            (a, b)
        }
    };
    let mut dag: Vec<(usize, usize)> = proper.iter().map(|&e| turn(e)).collect();
    dag.sort_unstable();
    dag.dedup();
    let layer = longest_path_layers(n, &dag, &search.finish_order);

    // Slots: the nodes, then a placeholder per layer crossed by a long edge.
    let mut slot_layer = layer.clone();
    let mut chains: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    let mut links: Vec<(usize, usize)> = Vec::new();
    for &(a, b) in &dag {
        let mut chain = vec![a];
        for l in layer[a] + 1..layer[b] {
            slot_layer.push(l);
            chain.push(slot_layer.len() - 1);
        }
        chain.push(b);
        links.extend(chain.windows(2).map(|w| (w[0], w[1])));
        chains.insert((a, b), chain);
    }

    let layers = slot_layer.iter().max().map_or(0, |m| m + 1);
    let order = order_in_layers(&slot_layer, layers, &links, &search.preorder, n);
    let rows = assign_rows(&slot_layer, &order, &links);

    let place = |slot: usize| Place {
        layer: slot_layer[slot],
        row: rows[slot],
    };
    let edge_paths = edges
        .iter()
        .map(|&(a, b)| {
            if !valid(&(a, b)) {
                return EdgePath {
                    points: Vec::new(),
                    reversed: false,
                };
            }
            if a == b {
                return EdgePath {
                    points: vec![place(a)],
                    reversed: false,
                };
            }
            let key = turn((a, b));
            let points = chains
                .get(&key)
                .map(|chain| chain.iter().map(|&s| place(s)).collect())
                .unwrap_or_default();
            EdgePath {
                points,
                reversed: key != (a, b),
            }
        })
        .collect();
    Layout {
        nodes: (0..n).map(place).collect(),
        edges: edge_paths,
        layers,
        rows: rows.iter().max().map_or(0, |m| m + 1),
    }
}

/// What a depth-first search from the sources found.
struct Search {
    /// Nodes in the order they were first reached.
    preorder: Vec<usize>,
    /// Nodes in the order they were finished: reversed, a topological order of the
    /// graph without its cycle-closing edges.
    finish_order: Vec<usize>,
    /// Per node, its position in `preorder` and in `finish_order`.
    entered: Vec<usize>,
    finished: Vec<usize>,
}

impl Search {
    /// Whether `a -> b` pointed back to a node still open when it was followed: `b` was
    /// entered before `a` and finished after it.
    fn closes_cycle(&self, a: usize, b: usize) -> bool {
        self.entered[b] <= self.entered[a] && self.finished[b] >= self.finished[a]
    }
}

/// Sources first (in input order), then whatever is left (nodes only on cycles).
/// Iterative, so deep graphs cannot overflow the stack.
fn depth_first(n: usize, edges: &[(usize, usize)]) -> Search {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut has_input = vec![false; n];
    for &(a, b) in edges {
        out[a].push(b);
        has_input[b] = true;
    }
    let roots = (0..n)
        .filter(|&v| !has_input[v])
        .chain((0..n).filter(|&v| has_input[v]));
    let mut entered = vec![usize::MAX; n];
    let mut finished = vec![usize::MAX; n];
    let mut preorder = Vec::with_capacity(n);
    let mut finish_order = Vec::with_capacity(n);
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in roots {
        if entered[root] != usize::MAX {
            continue;
        }
        entered[root] = preorder.len();
        preorder.push(root);
        stack.push((root, 0));
        while let Some((v, next)) = stack.last_mut() {
            let v = *v;
            if let Some(&w) = out[v].get(*next) {
                *next += 1;
                if entered[w] == usize::MAX {
                    entered[w] = preorder.len();
                    preorder.push(w);
                    stack.push((w, 0));
                }
            } else {
                finished[v] = finish_order.len();
                finish_order.push(v);
                stack.pop();
            }
        }
    }
    Search {
        preorder,
        finish_order,
        entered,
        finished,
    }
}

/// Each node's longest path from a source, over an acyclic `dag` whose topological
/// order is `finish_order` reversed.
fn longest_path_layers(n: usize, dag: &[(usize, usize)], finish_order: &[usize]) -> Vec<usize> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in dag {
        out[a].push(b);
    }
    let mut layer = vec![0; n];
    for &v in finish_order.iter().rev() {
        for &w in &out[v] {
            layer[w] = layer[w].max(layer[v] + 1);
        }
    }
    layer
}

/// Slots of each layer, top to bottom. Starts from the search order (so chains stay
/// together) with unconnected nodes last, then sweeps by the mean position of each
/// slot's neighbours in the layer before (or after).
fn order_in_layers(
    slot_layer: &[usize],
    layers: usize,
    links: &[(usize, usize)],
    preorder: &[usize],
    node_count: usize,
) -> Vec<Vec<usize>> {
    let slots = slot_layer.len();
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); slots];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); slots];
    for &(a, b) in links {
        succs[a].push(b);
        preds[b].push(a);
    }
    let lonely = |s: usize| preds[s].is_empty() && succs[s].is_empty();
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for &v in preorder.iter().filter(|&&v| !lonely(v)) {
        order[slot_layer[v]].push(v);
    }
    for s in node_count..slots {
        order[slot_layer[s]].push(s);
    }
    for &v in preorder.iter().filter(|&&v| lonely(v)) {
        order[slot_layer[v]].push(v);
    }

    let mut position = vec![0.0_f64; slots];
    for layer in &order {
        for (i, &s) in layer.iter().enumerate() {
            position[s] = i as f64;
        }
    }
    for _ in 0..4 {
        for (range, neighbours) in [
            ((1..layers).collect::<Vec<_>>(), &preds),
            ((0..layers.saturating_sub(1)).rev().collect(), &succs),
        ] {
            for l in range {
                let key = |s: usize| {
                    let near = &neighbours[s];
                    if near.is_empty() {
                        position[s]
                    } else {
                        near.iter().map(|&p| position[p]).sum::<f64>() / near.len() as f64
                    }
                };
                let mut keyed: Vec<(f64, usize)> = order[l].iter().map(|&s| (key(s), s)).collect();
                keyed.sort_by(|x, y| x.0.total_cmp(&y.0));
                order[l] = keyed.into_iter().map(|(_, s)| s).collect();
                for (i, &s) in order[l].iter().enumerate() {
                    position[s] = i as f64;
                }
            }
        }
    }
    order
}

/// Rows: the first layer top to bottom; after it each slot on the middle row of its
/// parents (so chains run straight), pushed down below the slot above it.
fn assign_rows(slot_layer: &[usize], order: &[Vec<usize>], links: &[(usize, usize)]) -> Vec<usize> {
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); slot_layer.len()];
    for &(a, b) in links {
        preds[b].push(a);
    }
    let mut rows = vec![0; slot_layer.len()];
    for layer in order {
        let mut next_free = 0;
        for &s in layer {
            let mut parents: Vec<usize> = preds[s].iter().map(|&p| rows[p]).collect();
            parents.sort_unstable();
            let want = parents
                .get(parents.len().saturating_sub(1) / 2)
                .copied()
                .unwrap_or(0);
            rows[s] = want.max(next_free);
            next_free = rows[s] + 1;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn place(layer: usize, row: usize) -> Place {
        Place { layer, row }
    }

    #[test]
    fn a_chain_runs_straight_left_to_right() {
        let l = layout(3, &[(0, 1), (1, 2)]);
        assert_eq!(l.nodes, vec![place(0, 0), place(1, 0), place(2, 0)]);
        assert_eq!((l.layers, l.rows), (3, 1));
        assert_eq!(l.edges[1].points, vec![place(1, 0), place(2, 0)]);
    }

    #[test]
    fn long_edges_pass_through_placeholders_and_layers_are_longest_paths() {
        // 0 -> 1 -> 2 -> 3 and a shortcut 0 -> 3.
        let l = layout(4, &[(0, 1), (1, 2), (2, 3), (0, 3)]);
        assert_eq!(
            l.nodes.iter().map(|p| p.layer).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        let shortcut = &l.edges[3].points;
        assert_eq!(shortcut.len(), 4);
        assert_eq!(shortcut.first(), Some(&l.nodes[0]));
        assert_eq!(shortcut.last(), Some(&l.nodes[3]));
        // The placeholders are not on the chain's row.
        assert_ne!(shortcut[1], l.nodes[1]);
        assert_ne!(shortcut[2], l.nodes[2]);
    }

    #[test]
    fn cycles_are_turned_around_and_flagged() {
        // 0 -> 1 -> 2 -> 1 (a loop back) and a self-loop on 2.
        let l = layout(3, &[(0, 1), (1, 2), (2, 1), (2, 2)]);
        assert_eq!(
            l.nodes.iter().map(|p| p.layer).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert!(!l.edges[1].reversed);
        assert!(l.edges[2].reversed);
        assert_eq!(l.edges[2].points, vec![l.nodes[1], l.nodes[2]]);
        assert_eq!(l.edges[3].points, vec![l.nodes[2]]);
    }

    #[test]
    fn fan_out_takes_a_row_each_and_unconnected_nodes_go_last() {
        // 3 is unconnected; 0 fans out to 1 and 2.
        let l = layout(4, &[(0, 1), (0, 2)]);
        assert_eq!(l.nodes[0], place(0, 0));
        assert_eq!(l.nodes[3], place(0, 1));
        let mut children = vec![l.nodes[1], l.nodes[2]];
        children.sort();
        assert_eq!(children, vec![place(1, 0), place(1, 1)]);
    }

    #[test]
    fn bad_edges_and_empty_graphs_are_tolerated() {
        assert_eq!(layout(0, &[(0, 1)]).edges[0].points, vec![]);
        let l = layout(2, &[(0, 7), (1, 1)]);
        assert!(l.edges[0].points.is_empty());
        assert_eq!((l.layers, l.rows), (1, 2));
    }

    #[test]
    fn a_deep_chain_does_not_overflow_the_stack() {
        let n = 100_000;
        let edges: Vec<(usize, usize)> = (1..n).map(|i| (i - 1, i)).collect();
        let l = layout(n, &edges);
        assert_eq!(l.layers, n);
    }

    fn check(n: usize, edges: &[(usize, usize)]) {
        let l = layout(n, edges);
        assert_eq!(l.nodes.len(), n);
        assert_eq!(l.edges.len(), edges.len());
        let nodes: HashSet<Place> = l.nodes.iter().copied().collect();
        assert_eq!(nodes.len(), n, "two nodes share a place");
        let has_input: HashSet<usize> = edges.iter().filter(|e| e.0 != e.1).map(|e| e.1).collect();
        for (v, p) in l.nodes.iter().enumerate() {
            assert!(p.layer < l.layers && p.row < l.rows);
            if !has_input.contains(&v) {
                assert_eq!(p.layer, 0, "source {v} not in the first column");
            }
        }
        for (&(a, b), path) in edges.iter().zip(&l.edges) {
            if a == b {
                assert_eq!(path.points, vec![l.nodes[a]]);
                continue;
            }
            let (first, last) = if path.reversed { (b, a) } else { (a, b) };
            assert_eq!(path.points.first(), Some(&l.nodes[first]));
            assert_eq!(path.points.last(), Some(&l.nodes[last]));
            for w in path.points.windows(2) {
                assert_eq!(w[0].layer + 1, w[1].layer, "a path skips a layer");
            }
            for inner in &path.points[1..path.points.len() - 1] {
                assert!(!nodes.contains(inner), "an edge runs through a node");
            }
        }
    }

    proptest! {
        #[test]
        fn any_graph_is_laid_out_consistently(
            n in 1usize..30,
            raw in proptest::collection::vec((0usize..30, 0usize..30), 0..60),
        ) {
            let edges: Vec<(usize, usize)> = raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
            check(n, &edges);
        }

        #[test]
        fn acyclic_graphs_have_no_turned_edges(
            n in 2usize..30,
            raw in proptest::collection::vec((0usize..30, 0usize..30), 0..60),
        ) {
            let edges: Vec<(usize, usize)> = raw
                .into_iter()
                .map(|(a, b)| (a % n, b % n))
                .filter(|(a, b)| a < b)
                .collect();
            let l = layout(n, &edges);
            prop_assert!(l.edges.iter().all(|e| !e.reversed));
        }
    }

    /// Every corpus workflow's connections between its nodes lay out consistently.
    #[test]
    fn corpus_workflows_lay_out_consistently() {
        let Some(files) =
            crate::domain::analysis::corpus::workflows("corpus_workflows_lay_out_consistently")
        else {
            return;
        };
        for (_, workflow) in files {
            let a = crate::domain::analysis::analyze(&workflow);
            let index: HashMap<&str, usize> = a
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.name.as_str(), i))
                .collect();
            let edges: Vec<(usize, usize)> = a
                .connections
                .iter()
                .filter_map(|c| Some((*index.get(c.from.as_str())?, *index.get(c.to.as_str())?)))
                .collect();
            check(a.nodes.len(), &edges);
        }
    }
}
