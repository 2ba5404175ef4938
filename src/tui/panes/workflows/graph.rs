//! The node graph drawn in the terminal: a box per node in columns laid out by
//! `domain::graph`, edges routed through the gaps between columns with box-drawing
//! characters. A connection to or from a name that is no node gets a box of its own in
//! the error style; one between two missing names is only counted. Built once per
//! workflow; a frame touches only the cells on screen.

use crate::domain::analysis::{Analysis, short_type};
use crate::domain::graph::{self, Layout, Place};
use crate::domain::workflow::is_trigger_type;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use std::collections::HashMap;

/// Columns between two layers: 3 lanes for vertical runs, a run-in and the arrow.
const GAP: u32 = 6;
const LANES: usize = 3;
/// Rows per grid row: a box is 3 high, then a blank row.
const PITCH: u32 = 4;
const MIN_BOX: u32 = 10;
const MAX_BOX: u32 = 28;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoxKind {
    Node,
    Trigger,
    Disabled,
    /// A name a connection points at (or comes from) that is no node.
    Missing,
}

#[derive(Debug, Clone, PartialEq)]
struct NodeBox {
    label: String,
    /// Under the box: the node type, or "missing".
    caption: String,
    kind: BoxKind,
    width: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edge {
    dangling: bool,
}

/// A workflow's graph, ready to draw at any scroll position. Coordinates are cells of
/// the whole drawing (`u32`: a graph may be larger than a screen can address).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphView {
    boxes: Vec<NodeBox>,
    edges: Vec<Edge>,
    layout: Layout,
    /// Which box sits at each place of the layout.
    at: HashMap<Place, usize>,
    /// Left edge and width of each column.
    columns: Vec<(u32, u32)>,
    /// Connections whose two ends are both missing: not drawn, only counted.
    pub unplaced_dangling: usize,
    /// Connections with at least one missing end.
    pub dangling: usize,
    pub width: u32,
    pub height: u32,
    /// The top-left cell on screen.
    pub scroll: (u32, u32),
}

impl GraphView {
    pub fn build(analysis: &Analysis) -> GraphView {
        let mut boxes: Vec<NodeBox> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for node in analysis.nodes.iter().filter(|n| !n.is_sticky_note()) {
            if index.contains_key(node.name.as_str()) {
                continue;
            }
            let kind = if node.disabled {
                BoxKind::Disabled
            } else if is_trigger_type(&node.node_type) {
                BoxKind::Trigger
            } else {
                BoxKind::Node
            };
            index.insert(&node.name, boxes.len());
            boxes.push(NodeBox::new(&node.name, caption(&node.node_type), kind));
        }
        let mut missing: HashMap<&str, usize> = HashMap::new();
        let mut edges = Vec::new();
        let mut pairs = Vec::new();
        let mut unplaced_dangling = 0;
        for c in &analysis.connections {
            let end = |name: &str, is_missing: bool| {
                (!is_missing).then(|| index.get(name).copied()).flatten()
            };
            let (from, to) = (end(&c.from, c.from_missing), end(&c.to, c.to_missing));
            let (from, to) = match (from, to) {
                (None, None) => {
                    if c.is_dangling() {
                        unplaced_dangling += 1;
                    }
                    continue;
                }
                (Some(f), Some(t)) => (f, t),
                (f, t) => {
                    let name = if f.is_none() { &c.from } else { &c.to };
                    let phantom = *missing.entry(name.as_str()).or_insert_with(|| {
                        boxes.push(NodeBox::new(
                            &format!("? {name}"),
                            "missing".into(),
                            BoxKind::Missing,
                        ));
                        boxes.len() - 1
                    });
                    (f.unwrap_or(phantom), t.unwrap_or(phantom))
                }
            };
            pairs.push((from, to));
            edges.push(Edge {
                dangling: c.is_dangling(),
            });
        }
        let layout = graph::layout(boxes.len(), &pairs);
        let mut widths = vec![MIN_BOX; layout.layers];
        for (b, place) in boxes.iter().zip(&layout.nodes) {
            widths[place.layer] = widths[place.layer].max(b.width);
        }
        let mut columns = Vec::with_capacity(widths.len());
        let mut x: u32 = 0;
        for w in widths {
            columns.push((x, w));
            x = x.saturating_add(w).saturating_add(GAP);
        }
        let rows = u32::try_from(layout.rows).unwrap_or(u32::MAX);
        let at = layout
            .nodes
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, i))
            .collect();
        GraphView {
            dangling: analysis.dangling_count(),
            at,
            boxes,
            edges,
            layout,
            columns,
            unplaced_dangling,
            width: x.saturating_sub(GAP),
            height: rows.saturating_mul(PITCH).saturating_sub(1),
            scroll: (0, 0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.boxes.is_empty()
    }

    /// Moves the view by (columns, rows), kept within the graph for a view of `size`.
    pub fn scroll_by(&mut self, dx: i32, dy: i32, size: (u16, u16)) {
        let clamp = |at: u32, by: i32, total: u32, view: u16| {
            let max = i64::from(total.saturating_sub(u32::from(view)));
            u32::try_from((i64::from(at) + i64::from(by)).clamp(0, max)).unwrap_or(0)
        };
        self.scroll = (
            clamp(self.scroll.0, dx, self.width, size.0),
            clamp(self.scroll.1, dy, self.height, size.1),
        );
    }

    fn box_rect(&self, i: usize) -> (u32, u32, u32) {
        let place = self.layout.nodes[i];
        let (x, _) = self.columns[place.layer];
        (x, row_y(place), self.boxes[i].width)
    }

    pub fn draw(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        if area.is_empty() {
            return;
        }
        self.scroll_by(0, 0, (area.width, area.height));
        let mut canvas = Canvas::new(area, self.scroll);
        for (edge, path) in self.edges.iter().zip(&self.layout.edges) {
            self.route(&mut canvas, &path.points, edge.dangling);
        }
        canvas.render(buf, theme);
        for (edge, path) in self.edges.iter().zip(&self.layout.edges) {
            self.arrow(&canvas, buf, path, edge.dangling, theme);
        }
        for i in 0..self.boxes.len() {
            self.draw_box(i, &canvas, buf, theme);
        }
    }

    /// Lines of one edge through the gaps: out of the box on its middle row, along a
    /// lane of the gap to the next point's row, into the next column.
    fn route(&self, canvas: &mut Canvas, points: &[Place], dangling: bool) {
        if points.len() < 2 {
            return;
        }
        let last = points.len() - 1;
        for (k, pair) in points.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            let (col_x, col_w) = self.columns[a.layer];
            let (next_x, _) = self.columns[b.layer];
            let start = if k == 0 {
                let node = self.node_at(a);
                node.map_or(col_x, |i| col_x + self.boxes[i].width)
            } else {
                // A placeholder: the line crosses the whole column.
                canvas.hline(col_x, col_x + col_w, mid_y(a), dangling);
                col_x + col_w
            };
            let lane = col_x + col_w + 1 + lane_of(a);
            let end = if k + 1 == last {
                next_x.saturating_sub(1)
            } else {
                next_x
            };
            canvas.hline(start, lane, mid_y(a), dangling);
            canvas.vline(lane, mid_y(a), mid_y(b), dangling);
            canvas.hline(lane, end, mid_y(b), dangling);
        }
    }

    /// The arrowhead: before the target's box, or for an edge closing a cycle, after
    /// the box it returns to. A self-loop is marked on its box.
    fn arrow(
        &self,
        canvas: &Canvas,
        buf: &mut Buffer,
        path: &graph::EdgePath,
        dangling: bool,
        theme: &Theme,
    ) {
        let style = if dangling { theme.error } else { theme.accent };
        match path.points.as_slice() {
            [] => {}
            [only] => {
                if let Some(i) = self.node_at(*only) {
                    let (x, y, w) = self.box_rect(i);
                    canvas.put(buf, x + w.saturating_sub(3), y, "↺", style);
                }
            }
            [first, ..] if path.reversed => {
                if let Some(i) = self.node_at(*first) {
                    let (x, y, w) = self.box_rect(i);
                    canvas.put(buf, x + w, y + 1, "◀", style);
                }
            }
            [.., last] => {
                if let Some(i) = self.node_at(*last) {
                    let (x, y, _) = self.box_rect(i);
                    canvas.put(buf, x.saturating_sub(1), y + 1, "▶", style);
                }
            }
        }
    }

    fn node_at(&self, place: Place) -> Option<usize> {
        self.at.get(&place).copied()
    }

    fn draw_box(&self, i: usize, canvas: &Canvas, buf: &mut Buffer, theme: &Theme) {
        let (x, y, w) = self.box_rect(i);
        if !canvas.overlaps(x, y, w, 3) {
            return;
        }
        let b = &self.boxes[i];
        let (border, label) = match b.kind {
            BoxKind::Node => (theme.border, theme.base),
            BoxKind::Trigger => (theme.accent, theme.accent),
            BoxKind::Disabled => (theme.muted, theme.muted),
            BoxKind::Missing => (theme.error, theme.error),
        };
        let inner = usize::try_from(w.saturating_sub(2)).unwrap_or(0);
        let caption = fit(&b.caption, inner.saturating_sub(2));
        let caption_width = Span::raw(caption.as_str()).width();
        let top = format!("╭{}╮", "─".repeat(inner));
        let bottom_rest = inner.saturating_sub(caption_width + 1);
        let bottom = format!("╰─{caption}{}╯", "─".repeat(bottom_rest));
        let name = fit(&b.label, inner.saturating_sub(2));
        let pad = inner.saturating_sub(Span::raw(name.as_str()).width() + 1);
        canvas.put(buf, x, y, &top, border);
        canvas.put(buf, x, y + 1, "│", border);
        canvas.put(
            buf,
            x + 1,
            y + 1,
            &format!(" {name}{}", " ".repeat(pad)),
            label,
        );
        canvas.put(buf, x + w - 1, y + 1, "│", border);
        canvas.put(buf, x, y + 2, &bottom, border);
        let caption_style = if b.kind == BoxKind::Missing {
            theme.error
        } else {
            theme.muted
        };
        canvas.put(buf, x + 2, y + 2, &caption, caption_style);
    }
}

impl NodeBox {
    fn new(label: &str, caption: String, kind: BoxKind) -> NodeBox {
        let text = Span::raw(label)
            .width()
            .max(Span::raw(caption.as_str()).width());
        let width = u32::try_from(text)
            .unwrap_or(MAX_BOX)
            .saturating_add(4)
            .clamp(MIN_BOX, MAX_BOX);
        NodeBox {
            label: label.to_owned(),
            caption,
            kind,
            width,
        }
    }
}

/// `n8n-nodes-base.httpRequest` -> `httpRequest`; other packages keep a hint of theirs.
fn caption(node_type: &str) -> String {
    if node_type.starts_with("n8n-nodes-base.") || node_type.is_empty() {
        short_type(node_type).to_owned()
    } else if node_type.contains("langchain") {
        format!("ai.{}", short_type(node_type))
    } else {
        node_type.to_owned()
    }
}

fn row_y(place: Place) -> u32 {
    u32::try_from(place.row)
        .unwrap_or(u32::MAX)
        .saturating_mul(PITCH)
}

fn mid_y(place: Place) -> u32 {
    row_y(place).saturating_add(1)
}

/// Edges leaving different rows of a column take different lanes of the gap, so
/// lines that cross stay apart.
fn lane_of(place: Place) -> u32 {
    u32::try_from(place.row % LANES).unwrap_or(0)
}

/// `text` cut to `max` cells, with an ellipsis when cut.
pub(super) fn fit(text: &str, max: usize) -> String {
    if Span::raw(text).width() <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let mut tmp = [0u8; 4];
        let w = Span::raw(&*c.encode_utf8(&mut tmp)).width();
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

/// The cells on screen, each with the directions lines leave it in.
struct Canvas {
    area: Rect,
    scroll: (u32, u32),
    cells: Vec<u8>,
    dangling: Vec<bool>,
}

impl Canvas {
    fn new(area: Rect, scroll: (u32, u32)) -> Canvas {
        let size = usize::from(area.width) * usize::from(area.height);
        Canvas {
            area,
            scroll,
            cells: vec![0; size],
            dangling: vec![false; size],
        }
    }

    /// The index of graph cell (x, y) on screen, when it is.
    fn index(&self, x: u32, y: u32) -> Option<usize> {
        let sx = usize::try_from(x.checked_sub(self.scroll.0)?).ok()?;
        let sy = usize::try_from(y.checked_sub(self.scroll.1)?).ok()?;
        let (width, height) = (usize::from(self.area.width), usize::from(self.area.height));
        (sx < width && sy < height).then_some(sy * width + sx)
    }

    fn mark(&mut self, x: u32, y: u32, bits: u8, dangling: bool) {
        if let Some(i) = self.index(x, y) {
            self.cells[i] |= bits;
            self.dangling[i] |= dangling;
        }
    }

    fn hline(&mut self, x1: u32, x2: u32, y: u32, dangling: bool) {
        let (a, b) = (x1.min(x2), x1.max(x2));
        if a == b {
            return;
        }
        for x in a..=b {
            let mut bits = 0;
            if x > a {
                bits |= LEFT;
            }
            if x < b {
                bits |= RIGHT;
            }
            self.mark(x, y, bits, dangling);
        }
    }

    fn vline(&mut self, x: u32, y1: u32, y2: u32, dangling: bool) {
        let (a, b) = (y1.min(y2), y1.max(y2));
        if a == b {
            return;
        }
        for y in a..=b {
            let mut bits = 0;
            if y > a {
                bits |= UP;
            }
            if y < b {
                bits |= DOWN;
            }
            self.mark(x, y, bits, dangling);
        }
    }

    fn render(&self, buf: &mut Buffer, theme: &Theme) {
        let width = usize::from(self.area.width);
        for (i, &bits) in self.cells.iter().enumerate() {
            if bits == 0 {
                continue;
            }
            let x = self.area.x + u16::try_from(i % width).unwrap_or(0);
            let y = self.area.y + u16::try_from(i / width).unwrap_or(0);
            let style = if self.dangling[i] {
                theme.error
            } else {
                theme.muted
            };
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_symbol(line_symbol(bits)).set_style(style);
            }
        }
    }

    fn overlaps(&self, x: u32, y: u32, w: u32, h: u32) -> bool {
        let (sx, sy) = self.scroll;
        let (width, height) = (u32::from(self.area.width), u32::from(self.area.height));
        x < sx + width && x + w > sx && y < sy + height && y + h > sy
    }

    /// Writes `text` at graph cell (x, y), clipped to the screen.
    fn put(&self, buf: &mut Buffer, x: u32, y: u32, text: &str, style: Style) {
        let (sx, sy) = self.scroll;
        let (width, height) = (u32::from(self.area.width), u32::from(self.area.height));
        let Some(row) = y.checked_sub(sy).filter(|r| *r < height) else {
            return;
        };
        let screen_y = self.area.y + u16::try_from(row).unwrap_or(0);
        let mut col = x;
        for c in text.chars() {
            let mut tmp = [0u8; 4];
            let symbol = &*c.encode_utf8(&mut tmp);
            let w = u32::try_from(Span::raw(symbol).width()).unwrap_or(1);
            if col >= sx && col + w <= sx + width {
                let screen_x = self.area.x + u16::try_from(col - sx).unwrap_or(0);
                if let Some(cell) = buf.cell_mut((screen_x, screen_y)) {
                    cell.set_symbol(symbol).set_style(style);
                }
            }
            col += w;
        }
    }
}

fn line_symbol(bits: u8) -> &'static str {
    match bits {
        b if b == LEFT | RIGHT || b == LEFT || b == RIGHT => "─",
        b if b == UP | DOWN || b == UP || b == DOWN => "│",
        b if b == DOWN | RIGHT => "┌",
        b if b == DOWN | LEFT => "┐",
        b if b == UP | RIGHT => "└",
        b if b == UP | LEFT => "┘",
        b if b == UP | DOWN | RIGHT => "├",
        b if b == UP | DOWN | LEFT => "┤",
        b if b == LEFT | RIGHT | DOWN => "┬",
        b if b == LEFT | RIGHT | UP => "┴",
        _ => "┼",
    }
}
