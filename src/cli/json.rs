//! `check --format json` and `schema --format json`, exactly as CONTRACT.md
//! shapes them: field order is fixed by these structs.

use crate::checks::codegen::{preview, PreviewEntry};
use crate::checks::Finding;
use crate::cli::{IndexCounts, Report};
use crate::model::facts::ResourceKind;
use crate::model::fold::{FoldedTable, RelationKind};
use crate::model::workspace::Workspace;
use crate::text::ColumnUnit;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct CheckOutput<'a> {
    version: u32,
    roots: Vec<String>,
    index: IndexCounts,
    diagnostics: Vec<Diagnostic<'a>>,
}

struct Diagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    kind: Option<&'static str>,
    resource: Option<&'a str>,
    table: Option<&'a str>,
    column_name: Option<&'a str>,
    related: Vec<RelatedOut<'a>>,
    fixes: &'a [&'static str],
}

/// CONTRACT.md names both the position and, for findings about a column, the
/// column itself `column`; the name comes last, so parsers that keep the last
/// key (Python, JavaScript, serde_json's `Value`) read the name.
impl Serialize for Diagnostic<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("code", self.code)?;
        m.serialize_entry("severity", self.severity)?;
        m.serialize_entry("file", self.file)?;
        m.serialize_entry("line", &self.line)?;
        m.serialize_entry("column", &self.column)?;
        m.serialize_entry("end_line", &self.end_line)?;
        m.serialize_entry("end_column", &self.end_column)?;
        m.serialize_entry("message", self.message)?;
        if let Some(kind) = self.kind {
            m.serialize_entry("kind", kind)?;
        }
        if let Some(resource) = self.resource {
            m.serialize_entry("resource", resource)?;
        }
        if let Some(table) = self.table {
            m.serialize_entry("table", table)?;
        }
        if let Some(column) = self.column_name {
            m.serialize_entry("column", column)?;
        }
        m.serialize_entry("related", &self.related)?;
        m.serialize_entry("fixes", self.fixes)?;
        m.end()
    }
}

#[derive(Serialize)]
struct RelatedOut<'a> {
    file: &'a str,
    line: usize,
    message: &'a str,
}

/// 1-based line and column (Unicode scalar values) of a byte offset.
pub fn line_col(ws: &Workspace, file: &str, offset: usize) -> (usize, usize) {
    match ws.files.get(file) {
        Some(f) => {
            let (line, col) = f.lines.position(&f.text, offset, ColumnUnit::Scalar);
            (line + 1, col + 1)
        }
        None => (1, 1),
    }
}

fn diagnostic<'a>(ws: &Workspace, f: &'a Finding) -> Diagnostic<'a> {
    let (line, column) = line_col(ws, &f.file, f.span.start);
    let (end_line, end_column) = line_col(ws, &f.file, f.span.end);
    Diagnostic {
        code: f.code(),
        severity: f.severity.as_str(),
        file: &f.file,
        line,
        column,
        end_line,
        end_column,
        message: &f.message,
        kind: f.kind,
        resource: f.resource.as_deref(),
        table: f.table.as_deref(),
        column_name: f.column.as_deref(),
        related: f
            .related
            .iter()
            .map(|r| RelatedOut {
                file: &r.file,
                line: line_col(ws, &r.file, r.span.start).0,
                message: &r.message,
            })
            .collect(),
        fixes: &f.fixes,
    }
}

pub fn roots(ws: &Workspace) -> Vec<String> {
    ws.roots
        .iter()
        .map(|r| {
            if r.is_empty() {
                ".".to_string()
            } else {
                r.clone()
            }
        })
        .collect()
}

pub fn write_check(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let ws = &report.workspace;
    let doc = CheckOutput {
        version: 1,
        roots: roots(ws),
        index: report.counts(),
        diagnostics: report.findings.iter().map(|f| diagnostic(ws, f)).collect(),
    };
    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}

#[derive(Serialize)]
struct SchemaOutput<'a> {
    version: u32,
    tables: Vec<TableOut<'a>>,
    resources: Vec<ResourceOut<'a>>,
    /// What `mix ash.codegen` would emit, one entry per table.
    codegen_preview: Vec<PreviewEntry>,
}

#[derive(Serialize)]
struct Place<'a> {
    file: &'a str,
    line: usize,
}

#[derive(Serialize)]
struct TableOut<'a> {
    name: String,
    kind: &'static str,
    repo: &'a str,
    tenant: bool,
    created_at: Option<Place<'a>>,
    columns: Vec<ColumnOut<'a>>,
    indexes: Vec<IndexOut<'a>>,
    foreign_keys: Vec<ForeignKeyOut<'a>>,
    check_constraints: Vec<CheckOut<'a>>,
}

#[derive(Serialize)]
struct ColumnOut<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    pg_type: &'a str,
    null: bool,
    primary_key: bool,
    default: Option<&'a str>,
}

#[derive(Serialize)]
struct IndexOut<'a> {
    name: &'a str,
    columns: &'a [String],
    unique: bool,
    #[serde(skip_serializing_if = "Option::is_none", rename = "where")]
    where_clause: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    using: Option<&'a str>,
}

#[derive(Serialize)]
struct ForeignKeyOut<'a> {
    name: &'a str,
    columns: &'a [String],
    references: &'a str,
    referenced_columns: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    on_delete: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_update: Option<&'a str>,
}

#[derive(Serialize)]
struct CheckOut<'a> {
    name: &'a str,
    check: Option<&'a str>,
}

#[derive(Serialize)]
struct ResourceOut<'a> {
    module: &'a str,
    file: &'a str,
    line: usize,
    kind: &'static str,
    table: Option<&'a str>,
    repo: Option<&'a str>,
    migrate: bool,
    attributes: Vec<AttributeOut<'a>>,
}

#[derive(Serialize)]
struct AttributeOut<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    written_type: &'a str,
    column: &'a str,
    allow_nil: Option<bool>,
    primary_key: bool,
}

fn table_out<'a>(ws: &Workspace, repo: &'a str, tenant: bool, t: &'a FoldedTable) -> TableOut<'a> {
    TableOut {
        name: t.qualified(),
        kind: match t.kind {
            RelationKind::Table => "table",
            RelationKind::View => "view",
            RelationKind::MaterializedView => "materialized_view",
        },
        repo,
        tenant,
        created_at: t.created.as_ref().map(|o| Place {
            file: &o.file,
            line: line_col(ws, &o.file, o.span.start).0,
        }),
        columns: t
            .columns
            .iter()
            .map(|c| ColumnOut {
                name: &c.name,
                pg_type: c.pg_type.as_deref().unwrap_or("?"),
                null: c.null,
                primary_key: c.primary_key,
                default: c.default.as_deref(),
            })
            .collect(),
        indexes: t
            .indexes
            .iter()
            .map(|i| IndexOut {
                name: &i.name,
                columns: &i.columns,
                unique: i.unique,
                where_clause: i.where_clause.as_deref(),
                using: i.using.as_deref(),
            })
            .collect(),
        foreign_keys: t
            .foreign_keys
            .iter()
            .map(|f| ForeignKeyOut {
                name: &f.name,
                columns: &f.columns,
                references: &f.references,
                referenced_columns: &f.referenced_columns,
                on_delete: f.on_delete.as_deref(),
                on_update: f.on_update.as_deref(),
            })
            .collect(),
        check_constraints: t
            .checks
            .iter()
            .map(|c| CheckOut {
                name: &c.name,
                check: c.expression.as_deref(),
            })
            .collect(),
    }
}

pub fn write_schema(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let ws = &report.workspace;
    let mut tables: Vec<TableOut> = Vec::new();
    for m in &report.analysis.models {
        let repo = m.repo_module.as_deref().unwrap_or(&m.key.repo_dir);
        tables.extend(
            m.tables
                .values()
                .map(|t| table_out(ws, repo, m.key.tenant, t)),
        );
    }
    tables.sort_by(|a, b| (&a.name, a.repo, a.tenant).cmp(&(&b.name, b.repo, b.tenant)));
    let mut resources: Vec<ResourceOut> = report
        .analysis
        .resources
        .iter()
        .map(|r| ResourceOut {
            module: &r.facts.module,
            file: &r.file,
            line: line_col(ws, &r.file, r.facts.module_span.start).0,
            kind: match r.facts.kind {
                ResourceKind::Ash => "ash",
                ResourceKind::Ecto => "ecto",
            },
            table: r.table.as_deref(),
            repo: r.facts.repo.as_deref().or_else(|| {
                report
                    .analysis
                    .model_of(r)
                    .and_then(|m| m.repo_module.as_deref())
            }),
            migrate: r.facts.migrate,
            attributes: r
                .facts
                .attributes
                .iter()
                .map(|a| AttributeOut {
                    name: &a.name,
                    written_type: &a.written_type,
                    column: &a.column,
                    allow_nil: a.allow_nil,
                    primary_key: a.primary_key,
                })
                .collect(),
        })
        .collect();
    resources.sort_by(|a, b| (a.module, a.file).cmp(&(b.module, b.file)));
    let doc = SchemaOutput {
        version: 1,
        tables,
        resources,
        codegen_preview: preview(ws, &report.analysis),
    };
    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}
