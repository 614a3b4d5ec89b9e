//! Typesetting a transcript as PDF: parley shapes each paragraph (font fallback across the
//! registered fonts, right-to-left runs, line breaking) and krilla writes the glyphs, embedding
//! each font as a subset.
//!
//! Pages are filled twice with the same code: the first pass only counts them, so the second can
//! print "page x/y" in every footer while keeping one paragraph's layout in memory at a time
//! (a transcript of 10,000 messages never holds all of them laid out).

use super::fonts::FontFiles;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Data, Document as PdfDocument};
use parley::fontique::{Blob, Collection, CollectionOptions, SourceCache};
use parley::{
    Alignment, AlignmentOptions, FontContext, FontFamily, FontFamilyName, FontWeight, Layout,
    LayoutContext, LineHeight, OverflowWrap, StyleProperty,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// What a transcript says, already worded: the renderer only places it.
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    /// The first line of the first page.
    pub title: String,
    /// Label and value rows under the title (deal, client, managers, stage, outcome, times).
    pub facts: Vec<(String, String)>,
    pub entries: Vec<Entry>,
    pub files: Vec<FileLine>,
    /// Left part of every footer ("Deal #12 · Website").
    pub footer: String,
    /// "2026-12-04 13:00 UTC".
    pub generated_at: String,
}

#[derive(Clone, Debug)]
pub enum Entry {
    /// A new calendar day begins.
    Day(String),
    /// Something a person wrote or shared.
    Message {
        who: String,
        role: String,
        time: String,
        text: String,
        /// Lines under the text: a shared file, an offer's or a payment's outcome.
        details: Vec<String>,
    },
    /// Something that happened, said by the product.
    Event { time: String, text: String },
}

/// A row of the final table of the deal's files.
#[derive(Clone, Debug)]
pub struct FileLine {
    pub name: String,
    pub size: String,
    pub uploader: String,
    pub time: String,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("writing the PDF: {0}")]
    Write(String),
    #[error("the typesetter is unusable: a previous render panicked")]
    Poisoned,
}

// A4 in points, and the margins.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 50.0;
const MARGIN_TOP: f32 = 48.0;
const MARGIN_BOTTOM: f32 = 60.0;
const FOOTER_BASELINE: f32 = PAGE_H - 30.0;
const BODY_W: f32 = PAGE_W - 2.0 * MARGIN_X;

const INK: (u8, u8, u8) = (0x1f, 0x23, 0x28);
const MUTED: (u8, u8, u8) = (0x5f, 0x66, 0x6d);
const RULE: (u8, u8, u8) = (0xc8, 0xcc, 0xd0);

fn color((r, g, b): (u8, u8, u8)) -> rgb::Color {
    rgb::Color::new(r, g, b)
}

/// A stretch of a cell's text in another weight, size or colour.
#[derive(Clone, Debug)]
struct Span {
    range: Range<usize>,
    bold: bool,
    size: Option<f32>,
    color: Option<rgb::Color>,
}

/// A paragraph at a horizontal place: laid out in `width`, aligned to its own start (right for
/// right-to-left text).
#[derive(Clone, Debug)]
struct Cell {
    x: f32,
    width: f32,
    text: String,
    size: f32,
    color: rgb::Color,
    bold: bool,
    spans: Vec<Span>,
}

impl Cell {
    fn new(x: f32, width: f32, text: impl Into<String>, size: f32) -> Cell {
        Cell {
            x,
            width,
            text: text.into(),
            size,
            color: color(INK),
            bold: false,
            spans: Vec::new(),
        }
    }

    fn bold(mut self) -> Cell {
        self.bold = true;
        self
    }

    fn muted(mut self) -> Cell {
        self.color = color(MUTED);
        self
    }

    /// Appends `text` in its own style.
    fn push(&mut self, text: &str, bold: bool, size: Option<f32>, color: Option<rgb::Color>) {
        let start = self.text.len();
        self.text.push_str(text);
        self.spans.push(Span {
            range: start..self.text.len(),
            bold,
            size,
            color,
        });
    }
}

/// One thing placed in the page's flow: one cell (which may break across pages between lines)
/// or a row of cells side by side (kept together).
#[derive(Clone, Debug)]
struct Item {
    cells: Vec<Cell>,
    space_before: f32,
    /// Starts a new page unless this much room is left below it (headings stay with what follows).
    needs_after: f32,
    /// A thin rule above the item.
    rule_above: bool,
}

impl Item {
    fn one(cell: Cell, space_before: f32) -> Item {
        Item {
            cells: vec![cell],
            space_before,
            needs_after: 0.0,
            rule_above: false,
        }
    }
}

/// The flow of a transcript: title, facts, the conversation, the file table.
fn items(t: &Transcript) -> Vec<Item> {
    let mut out = Vec::with_capacity(t.entries.len() * 2 + t.files.len() + 16);
    out.push(Item::one(
        Cell::new(MARGIN_X, BODY_W, &t.title, 17.0).bold(),
        0.0,
    ));
    for (i, (label, value)) in t.facts.iter().enumerate() {
        out.push(Item {
            cells: vec![
                Cell::new(MARGIN_X, 110.0, label, 9.5).muted(),
                Cell::new(MARGIN_X + 115.0, BODY_W - 115.0, value, 9.5),
            ],
            space_before: if i == 0 { 12.0 } else { 2.0 },
            needs_after: 0.0,
            rule_above: false,
        });
    }
    out.push(Item {
        needs_after: 40.0,
        rule_above: true,
        ..Item::one(
            Cell::new(MARGIN_X, BODY_W, "Conversation", 12.5).bold(),
            18.0,
        )
    });
    if t.entries.is_empty() {
        out.push(Item::one(
            Cell::new(MARGIN_X, BODY_W, "No messages.", 9.5).muted(),
            6.0,
        ));
    }
    for entry in &t.entries {
        match entry {
            Entry::Day(day) => out.push(Item {
                needs_after: 36.0,
                ..Item::one(Cell::new(MARGIN_X, BODY_W, day, 9.5).bold().muted(), 12.0)
            }),
            Entry::Message {
                who,
                role,
                time,
                text,
                details,
            } => {
                let mut head = Cell::new(MARGIN_X, BODY_W, "", 9.5);
                head.push(who, true, None, None);
                head.push(
                    &format!("  {role} · {time}"),
                    false,
                    Some(8.5),
                    Some(color(MUTED)),
                );
                out.push(Item {
                    needs_after: 14.0,
                    ..Item::one(head, 8.0)
                });
                if !text.is_empty() {
                    out.push(Item::one(Cell::new(MARGIN_X, BODY_W, text, 10.0), 1.0));
                }
                for detail in details {
                    out.push(Item::one(
                        Cell::new(MARGIN_X + 10.0, BODY_W - 10.0, detail, 8.5).muted(),
                        // Room for the descenders of Arabic and other scripts above it.
                        3.0,
                    ));
                }
            }
            Entry::Event { time, text } => {
                let mut cell = Cell::new(MARGIN_X, BODY_W, "", 8.5).muted();
                cell.push(time, true, None, None);
                cell.push(&format!("  {text}"), false, None, None);
                out.push(Item::one(cell, 6.0));
            }
        }
    }
    out.push(Item {
        needs_after: 60.0,
        rule_above: true,
        ..Item::one(
            Cell::new(
                MARGIN_X,
                BODY_W,
                format!("Files of the deal ({})", t.files.len()),
                12.5,
            )
            .bold(),
            22.0,
        )
    });
    // Name and SHA-256 | size | uploaded by | time.
    let cols = [
        (MARGIN_X, 245.0),
        (MARGIN_X + 250.0, 55.0),
        (MARGIN_X + 310.0, 95.0),
        (MARGIN_X + 410.0, BODY_W - 410.0),
    ];
    let header = ["Name and SHA-256", "Size", "Uploaded by", "Time"];
    out.push(Item {
        cells: cols
            .iter()
            .zip(header)
            .map(|((x, w), h)| Cell::new(*x, *w, h, 8.5).bold().muted())
            .collect(),
        space_before: 6.0,
        needs_after: 30.0,
        rule_above: false,
    });
    if t.files.is_empty() {
        out.push(Item::one(
            Cell::new(MARGIN_X, BODY_W, "No files.", 9.5).muted(),
            6.0,
        ));
    }
    for f in &t.files {
        let mut name = Cell::new(cols[0].0, cols[0].1, "", 9.0);
        name.push(&f.name, true, None, None);
        name.push(
            &format!("\n{}", f.sha256),
            false,
            Some(7.0),
            Some(color(MUTED)),
        );
        out.push(Item {
            cells: vec![
                name,
                Cell::new(cols[1].0, cols[1].1, &f.size, 9.0),
                Cell::new(cols[2].0, cols[2].1, &f.uploader, 9.0),
                Cell::new(cols[3].0, cols[3].1, &f.time, 9.0),
            ],
            space_before: 5.0,
            needs_after: 0.0,
            rule_above: true,
        });
    }
    out
}

/// A rendered transcript.
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub pages: usize,
}

/// The shaping state and the fonts, kept for the life of the server: one render at a time uses
/// it (a render takes well under a second, and this bounds the memory renders take).
pub struct Typesetter {
    engine: Mutex<Engine>,
}

struct Engine {
    fcx: FontContext,
    lcx: LayoutContext<rgb::Color>,
    /// The family names in fallback order.
    stack: Vec<String>,
    /// The PDF font for each (font file, face index) the shaper picks.
    pdf_fonts: HashMap<(u64, u32), Font>,
}

impl Typesetter {
    pub fn new(files: &FontFiles) -> Typesetter {
        let mut collection = Collection::new(CollectionOptions {
            shared: false,
            system_fonts: false,
        });
        let mut stack: Vec<String> = Vec::new();
        for (_, bytes) in &files.files {
            let blob = Blob::new(bytes.clone() as Arc<dyn AsRef<[u8]> + Send + Sync>);
            for (family, _) in collection.register_fonts(blob, None) {
                let Some(name) = collection.family_name(family) else {
                    continue;
                };
                // Of the CJK collection's regional families, the simplified Chinese one covers
                // Chinese, Japanese kana and Korean hangul; the others would only repeat it.
                let regional = name.starts_with("Noto Sans CJK") && name != "Noto Sans CJK SC";
                let mono = name.contains("Mono");
                if !regional && !mono && !stack.iter().any(|s| s == name) {
                    stack.push(name.to_owned());
                }
            }
        }
        Typesetter {
            engine: Mutex::new(Engine {
                fcx: FontContext {
                    collection,
                    source_cache: SourceCache::default(),
                },
                lcx: LayoutContext::new(),
                stack,
                pdf_fonts: HashMap::new(),
            }),
        }
    }

    /// The families tried for each character, in order.
    pub fn families(&self) -> Vec<String> {
        self.engine
            .lock()
            .map(|e| e.stack.clone())
            .unwrap_or_default()
    }

    /// The transcript as a PDF.
    pub fn render(&self, t: &Transcript) -> Result<Rendered, PdfError> {
        let mut engine = self.engine.lock().map_err(|_| PdfError::Poisoned)?;
        let items = items(t);
        // First pass: where each page starts.
        let mut starts = vec![Cursor::default()];
        loop {
            let last = *starts.last().unwrap_or(&Cursor::default());
            let next = engine.fill_page(&items, last, None);
            if next.item >= items.len() {
                break;
            }
            starts.push(next);
        }
        let total = starts.len();
        let mut doc = PdfDocument::new();
        doc.set_metadata(
            Metadata::new()
                .title(t.title.clone())
                .creator("dealchat".into()),
        );
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| PdfError::Write("page size".into()))?;
        for (i, start) in starts.iter().enumerate() {
            let mut page = doc.start_page_with(settings.clone());
            let mut surface = page.surface();
            engine.fill_page(&items, *start, Some(&mut surface));
            let footer = format!(
                "{} · page {}/{} · generated at {}",
                t.footer,
                i + 1,
                total,
                t.generated_at
            );
            let cell = Cell {
                color: color(MUTED),
                ..Cell::new(MARGIN_X, BODY_W, footer, 7.5)
            };
            let layout = engine.layout(&cell, Alignment::Center);
            if let Some(line) = layout.lines().next() {
                let top = FOOTER_BASELINE - line.metrics().baseline;
                engine.draw(&mut surface, &layout, &cell, top, 0..1);
            }
            surface.finish();
            page.finish();
        }
        let pdf = doc
            .finish()
            .map_err(|e| PdfError::Write(format!("{e:?}")))?;
        Ok(Rendered { pdf, pages: total })
    }
}

/// Where the flow stands: the item, and for a cell broken across pages, its first line left.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Cursor {
    item: usize,
    line: usize,
}

impl Engine {
    fn layout(&mut self, cell: &Cell, align: Alignment) -> Layout<rgb::Color> {
        let families: Vec<FontFamilyName<'_>> = self
            .stack
            .iter()
            .map(|s| FontFamilyName::Named(Cow::Borrowed(s.as_str())))
            .collect();
        let mut b = self
            .lcx
            .ranged_builder(&mut self.fcx, &cell.text, 1.0, false);
        b.push_default(StyleProperty::FontFamily(FontFamily::List(Cow::Owned(
            families,
        ))));
        b.push_default(StyleProperty::FontSize(cell.size));
        b.push_default(StyleProperty::Brush(cell.color));
        b.push_default(StyleProperty::LineHeight(LineHeight::FontSizeRelative(1.3)));
        // Long words (hashes, links) break anywhere rather than run off the page.
        b.push_default(StyleProperty::OverflowWrap(OverflowWrap::Anywhere));
        if cell.bold {
            b.push_default(StyleProperty::FontWeight(FontWeight::BOLD));
        }
        for span in &cell.spans {
            if span.bold {
                b.push(
                    StyleProperty::FontWeight(FontWeight::BOLD),
                    span.range.clone(),
                );
            }
            if let Some(size) = span.size {
                b.push(StyleProperty::FontSize(size), span.range.clone());
            }
            if let Some(color) = span.color {
                b.push(StyleProperty::Brush(color), span.range.clone());
            }
        }
        let mut layout = b.build(&cell.text);
        layout.break_all_lines(Some(cell.width));
        layout.align(Some(cell.width), align, AlignmentOptions::default());
        layout
    }

    /// Places items from `from` until the page is full; with a surface, draws them. Returns
    /// where the next page starts.
    fn fill_page(
        &mut self,
        items: &[Item],
        from: Cursor,
        mut surface: Option<&mut Surface<'_>>,
    ) -> Cursor {
        let bottom = PAGE_H - MARGIN_BOTTOM;
        let mut y = MARGIN_TOP;
        let mut at = from;
        let mut first = true;
        while at.item < items.len() {
            let item = &items[at.item];
            let layouts: Vec<_> = item
                .cells
                .iter()
                .map(|c| self.layout(c, Alignment::Start))
                .collect();
            let before = if first { 0.0 } else { item.space_before };
            if item.cells.len() == 1 {
                let layout = &layouts[0];
                let heights: Vec<f32> = layout.lines().map(|l| l.metrics().line_height).collect();
                let rest: f32 = heights[at.line.min(heights.len())..].iter().sum();
                if !first && y + before + rest + item.needs_after > bottom && item.needs_after > 0.0
                {
                    return at;
                }
                let top = y + before;
                // As many lines as fit; at least one on an empty page, so the flow moves on.
                let mut end = at.line;
                let mut h = 0.0;
                while end < heights.len()
                    && (top + h + heights[end] <= bottom || (first && end == at.line))
                {
                    h += heights[end];
                    end += 1;
                }
                if end == at.line && !heights.is_empty() {
                    return at;
                }
                if let Some(s) = surface.as_deref_mut() {
                    if item.rule_above && at.line == 0 {
                        rule(s, top - 4.0);
                    }
                    let offset = layout
                        .lines()
                        .nth(at.line)
                        .map(|l| l.metrics().min_coord)
                        .unwrap_or(0.0);
                    self.draw(s, layout, &item.cells[0], top - offset, at.line..end);
                }
                y = top + h;
                first = false;
                if end < heights.len() {
                    return Cursor {
                        item: at.item,
                        line: end,
                    };
                }
            } else {
                let h = layouts.iter().map(|l| l.height()).fold(0.0, f32::max);
                if !first && y + before + h + item.needs_after > bottom {
                    return at;
                }
                let top = y + before;
                if let Some(s) = surface.as_deref_mut() {
                    if item.rule_above {
                        rule(s, top - 2.5);
                    }
                    for (layout, cell) in layouts.iter().zip(&item.cells) {
                        let n = layout.lines().count();
                        self.draw(s, layout, cell, top, 0..n);
                    }
                }
                y = top + h;
                first = false;
            }
            at = Cursor {
                item: at.item + 1,
                line: 0,
            };
        }
        at
    }

    /// Draws `lines` of a laid-out cell with the layout's y = 0 at `top`.
    fn draw(
        &mut self,
        surface: &mut Surface<'_>,
        layout: &Layout<rgb::Color>,
        cell: &Cell,
        top: f32,
        lines: Range<usize>,
    ) {
        for line in layout
            .lines()
            .skip(lines.start)
            .take(lines.end - lines.start)
        {
            let metrics = line.metrics();
            let baseline = top + metrics.baseline;
            let mut x = cell.x + metrics.offset;
            for run in line.runs() {
                let font_data = run.font();
                let key = (font_data.data.id(), font_data.index);
                let font = match self.pdf_fonts.get(&key) {
                    Some(f) => f.clone(),
                    None => {
                        let (bytes, _) = font_data.data.clone().into_raw_parts();
                        let Some(f) = Font::new(Data::from(bytes), font_data.index) else {
                            continue;
                        };
                        self.pdf_fonts.insert(key, f.clone());
                        f
                    }
                };
                let size = run.font_size();
                let mut glyphs: Vec<KrillaGlyph> = Vec::new();
                let mut current: Option<rgb::Color> = None;
                let mut group_x = x;
                for cluster in run.visual_clusters() {
                    if cluster.is_ligature_continuation() {
                        if let Some(last) = glyphs.last_mut() {
                            last.text_range.end = cluster.text_range().end;
                        }
                        continue;
                    }
                    for glyph in cluster.glyphs() {
                        let brush = layout.styles()[glyph.style_index()].brush;
                        if current.is_some_and(|c| c != brush) && !glyphs.is_empty() {
                            paint(surface, current.unwrap_or_else(|| color(INK)));
                            surface.draw_glyphs(
                                Point::from_xy(group_x, baseline),
                                &glyphs,
                                font.clone(),
                                &cell.text,
                                size,
                                false,
                            );
                            glyphs.clear();
                            group_x = x;
                        }
                        current = Some(brush);
                        glyphs.push(KrillaGlyph::new(
                            GlyphId::new(glyph.id),
                            glyph.advance / size,
                            glyph.x / size,
                            glyph.y / size,
                            0.0,
                            cluster.text_range(),
                            None,
                        ));
                        x += glyph.advance;
                    }
                }
                if !glyphs.is_empty() {
                    paint(surface, current.unwrap_or_else(|| color(INK)));
                    surface.draw_glyphs(
                        Point::from_xy(group_x, baseline),
                        &glyphs,
                        font,
                        &cell.text,
                        size,
                        false,
                    );
                }
            }
        }
    }
}

fn paint(surface: &mut Surface<'_>, ink: rgb::Color) {
    surface.set_stroke(None);
    surface.set_fill(Some(Fill {
        paint: ink.into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }));
}

/// A thin horizontal line across the body at `y`.
fn rule(surface: &mut Surface<'_>, y: f32) {
    let mut pb = PathBuilder::new();
    pb.move_to(MARGIN_X, y);
    pb.line_to(PAGE_W - MARGIN_X, y);
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: color(RULE).into(),
            width: 0.6,
            ..Default::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typesetter() -> Typesetter {
        let dir = std::env::var("DEALCHAT_FONT_DIR").unwrap_or_else(|_| "/usr/share/fonts".into());
        Typesetter::new(
            &FontFiles::load(std::path::Path::new(&dir))
                .expect("fonts (scripts/setup.sh installs them)"),
        )
    }

    fn said(i: usize, text: String) -> Entry {
        Entry::Message {
            who: format!("Person {i}"),
            role: "Client".into(),
            time: "14:05".into(),
            text,
            details: Vec::new(),
        }
    }

    fn transcript(entries: Vec<Entry>) -> Transcript {
        Transcript {
            title: "Transcript: Roof".into(),
            facts: vec![("Deal".into(), "#12 · Roof".into())],
            entries,
            files: Vec::new(),
            footer: "Deal #12".into(),
            generated_at: "4 Dec 2026 13:00:00 UTC".into(),
        }
    }

    #[test]
    fn the_fallback_order_starts_with_latin_and_covers_the_other_scripts() {
        let families = typesetter().families();
        assert_eq!(families.first().map(String::as_str), Some("Noto Sans"));
        for script in ["Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans CJK SC"] {
            assert!(
                families.iter().any(|f| f == script),
                "{script} in {families:?}"
            );
        }
    }

    #[test]
    fn a_short_transcript_is_one_page_and_a_long_one_breaks_into_pages() {
        let ts = typesetter();
        let one = ts
            .render(&transcript(vec![said(1, "Hello Привет 你好 مرحبا".into())]))
            .expect("pdf");
        assert!(one.pdf.starts_with(b"%PDF-"));
        assert_eq!(one.pages, 1);
        let many = ts
            .render(&transcript(
                (0..300)
                    .map(|i| said(i, format!("Message number {i}")))
                    .collect(),
            ))
            .expect("pdf");
        // About 20 messages fit on a page.
        assert!((8..=30).contains(&many.pages), "{} pages", many.pages);
    }

    #[test]
    fn a_message_longer_than_a_page_continues_on_the_next() {
        let long = "word ".repeat(6000);
        let r = typesetter()
            .render(&transcript(vec![said(1, long)]))
            .expect("pdf");
        assert!(r.pages >= 3, "{} pages", r.pages);
        // An unbreakable run (a hash, a link) wraps instead of running off the page.
        let r = typesetter()
            .render(&transcript(vec![said(1, "x".repeat(20_000))]))
            .expect("pdf");
        assert!(r.pages >= 2, "{} pages", r.pages);
    }
}
