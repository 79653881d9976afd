//! The SQL ecto_sql's Postgres adapter sends for a migration, rendered from
//! the migration's facts without a database: `execute_ddl` of each DSL
//! statement (quoting, type mapping, default primary key, references and
//! their constraint names, `IF [NOT] EXISTS` forms), the text of `execute`
//! passed through, and `Runner.reverse` for rolling back `change/0`. What
//! cannot be known statically is said, never guessed.

mod reverse;
mod source;

use crate::model::analysis::Analysis;
use crate::model::facts::{
    ColumnDef, ConstraintKind, Direction, ForeignKeyDef, IndexDef, MigrationFacts, MigrationOp,
    OpKind, OpSource, Span, TableName,
};
use crate::model::fold::RepoMigrationConfig;
use crate::model::workspace::{FileRole, Workspace};
use source::StatementSource;
use std::fmt::Write;

/// Which way a migration runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Up,
    Down,
}

impl Way {
    pub fn name(self) -> &'static str {
        match self {
            Way::Up => "up",
            Way::Down => "down",
        }
    }
}

/// What rendering depends on besides the file: the repo's migration config
/// and whether the file is a tenant migration (run once per tenant prefix).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderSettings {
    pub config: RepoMigrationConfig,
    pub tenant: bool,
}

impl RenderSettings {
    /// The settings of migration file `rel`: its repo's config.
    pub fn of_file(ws: &Workspace, analysis: &Analysis, rel: &str) -> RenderSettings {
        let Some(FileRole::Migration {
            repo_dir, tenant, ..
        }) = ws.files.get(rel).map(|f| &f.role)
        else {
            return RenderSettings::default();
        };
        let config = analysis
            .repos
            .iter()
            .find(|r| r.repo_dir == *repo_dir)
            .map(|r| r.config.clone())
            .unwrap_or_default();
        RenderSettings {
            config,
            tenant: *tenant,
        }
    }
}

/// One statement of the migration source and the SQL it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementSql {
    /// The statement in the migration file (`create table(…) do … end`,
    /// `execute "…"`).
    pub span: Span,
    /// Said before the SQL (`runs only under a condition`).
    pub notes: Vec<String>,
    /// The SQL statements sent, in order, or why they cannot be rendered.
    pub sql: Result<Vec<String>, String>,
}

impl StatementSql {
    fn sql(span: Span, sql: Vec<String>) -> StatementSql {
        StatementSql {
            span,
            notes: Vec::new(),
            sql: Ok(sql),
        }
    }

    fn cannot(span: Span, why: impl Into<String>) -> StatementSql {
        StatementSql {
            span,
            notes: Vec::new(),
            sql: Err(why.into()),
        }
    }

    /// The statement as SQL text: comments for notes and what cannot be
    /// rendered, each SQL statement ending in `;`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for note in &self.notes {
            let _ = writeln!(out, "-- ecto-ash-lsp: {note}");
        }
        match &self.sql {
            Ok(statements) => {
                for s in statements {
                    out.push_str(&terminated(s));
                    out.push('\n');
                }
            }
            Err(why) => {
                let _ = writeln!(out, "-- ecto-ash-lsp: cannot render: {why}");
            }
        }
        out
    }
}

/// `sql` with one `;` at its end (raw SQL often has its own).
fn terminated(sql: &str) -> String {
    let trimmed = sql.trim();
    if trimmed.ends_with(';') {
        trimmed.to_string()
    } else {
        format!("{trimmed};")
    }
}

/// The statements one direction of a migration runs, in order.
pub fn render(
    src: &str,
    facts: &MigrationFacts,
    way: Way,
    settings: &RenderSettings,
) -> Vec<StatementSql> {
    let source = StatementSource::parse(src);
    let r = Renderer {
        settings,
        source: &source,
    };
    let has = |name: &str| facts.functions.iter().any(|f| f.name == name);
    match way {
        Way::Up if has("up") => r.forward(facts, Direction::Up),
        Way::Up => r.forward(facts, Direction::Change),
        Way::Down if has("down") => r.forward(facts, Direction::Down),
        Way::Down if has("change") => reverse::of_change(&r, facts),
        Way::Down => Vec::new(),
    }
}

/// A migration file rendered for `ecto-ash-lsp sql`: a header naming the
/// file and version, then every statement.
pub fn render_file(
    rel: &str,
    version: Option<&str>,
    src: &str,
    facts: &MigrationFacts,
    way: Way,
    settings: &RenderSettings,
) -> String {
    let mut out = format!(
        "-- {rel} (version {}, {})\n",
        version.unwrap_or("?"),
        way.name()
    );
    if settings.tenant {
        out.push_str(
            "-- ecto-ash-lsp: a tenant migration: runs once per tenant, with unprefixed names in that tenant's schema\n",
        );
    }
    let has = |name: &str| facts.functions.iter().any(|f| f.name == name);
    if way == Way::Down && !has("down") && !has("change") {
        out.push_str("-- ecto-ash-lsp: no down/0 or change/0: nothing runs on rollback\n");
    }
    for statement in render(src, facts, way, settings) {
        out.push_str(&statement.text());
    }
    out
}

/// The statement of migration `facts` at byte `offset`, rendered the way
/// its function runs it (`down/0` statements as rollback SQL).
pub fn statement_at(
    src: &str,
    facts: &MigrationFacts,
    offset: usize,
    settings: &RenderSettings,
) -> Option<StatementSql> {
    let in_down = facts
        .functions
        .iter()
        .any(|f| f.name == "down" && f.span.contains(&offset));
    let way = if in_down { Way::Down } else { Way::Up };
    render(src, facts, way, settings)
        .into_iter()
        .filter(|s| s.span.start <= offset && offset < s.span.end)
        // The innermost: an `add` inside its `alter` block's statements.
        .min_by_key(|s| s.span.end - s.span.start)
}

pub(crate) struct Renderer<'a> {
    settings: &'a RenderSettings,
    source: &'a StatementSource,
}

impl Renderer<'_> {
    /// The statements of `direction`'s callback in the order they run:
    /// operations and raw SQL texts as the extractor walked them, with what
    /// it could not follow in the callback placed by position.
    fn forward(&self, facts: &MigrationFacts, direction: Direction) -> Vec<StatementSql> {
        let mut out = Vec::new();
        let mut raw = facts
            .raw_sql
            .iter()
            .filter(|r| r.direction == direction)
            .peekable();
        for (i, op) in facts.ops.iter().enumerate() {
            while let Some(r) = raw.next_if(|r| r.first_op <= i) {
                out.push(self.raw_text(r, Way::Up));
            }
            if op.direction != direction || matches!(op.source, OpSource::RawSql { .. }) {
                continue;
            }
            out.push(self.op(op));
        }
        for r in raw {
            out.push(self.raw_text(r, Way::Up));
        }
        self.place_unresolved(facts, direction, &mut out);
        out
    }

    /// What the extractor could not follow inside the callback (outside the
    /// raw SQL texts, which are passed through whole) becomes a statement
    /// that cannot be rendered, before the first statement written after it.
    fn place_unresolved(
        &self,
        facts: &MigrationFacts,
        direction: Direction,
        out: &mut Vec<StatementSql>,
    ) {
        let name = match direction {
            Direction::Change => "change",
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Other => return,
        };
        let Some(function) = facts.functions.iter().find(|f| f.name == name) else {
            return;
        };
        let inside = |s: &Span| function.span.start <= s.start && s.end <= function.span.end;
        for u in &facts.unresolved {
            let covered = facts
                .raw_sql
                .iter()
                .any(|r| r.span.start <= u.span.start && u.span.end <= r.span.end);
            if !inside(&u.span) || covered {
                continue;
            }
            let at = out
                .iter()
                .position(|s| inside(&s.span) && s.span.start > u.span.start)
                .unwrap_or(out.len());
            out.insert(at, StatementSql::cannot(u.span.clone(), u.message.clone()));
        }
    }

    fn raw_text(&self, r: &crate::model::facts::RawSqlText, way: Way) -> StatementSql {
        let text = match way {
            Way::Up => Some(&r.up),
            Way::Down => r.down.as_ref(),
        };
        let call_text = self.source.text(&r.span);
        let mut statement = match text {
            Some(Ok(sql)) if r.call == "execute" => {
                StatementSql::sql(r.span.clone(), vec![heredoc_dedented(call_text, sql)])
            }
            Some(Ok(sql)) => {
                let sql = heredoc_dedented(call_text, sql);
                let mut s = StatementSql::sql(r.span.clone(), vec![sql]);
                s.notes.push(format!(
                    "run through `{}`, outside the migration's own commands",
                    r.call
                ));
                s
            }
            Some(Err(why)) => StatementSql::cannot(r.span.clone(), why.clone()),
            None => StatementSql::cannot(
                r.span.clone(),
                "`execute/1` in change/0 cannot be reversed: Ecto raises on rollback",
            ),
        };
        if r.conditional {
            statement.notes.push(CONDITIONAL.to_string());
        }
        statement
    }

    fn op(&self, op: &MigrationOp) -> StatementSql {
        let rendered = self
            .source
            .check(op)
            .and_then(|()| self.kind(&op.kind, op.span.clone()));
        let mut statement = match rendered {
            Ok(sql) => StatementSql::sql(op.span.clone(), sql),
            Err(why) => StatementSql::cannot(op.span.clone(), why),
        };
        if op.conditional {
            statement.notes.push(CONDITIONAL.to_string());
        }
        statement
    }

    /// `execute_ddl` of one DSL command.
    pub(crate) fn kind(&self, kind: &OpKind, span: Span) -> Result<Vec<String>, String> {
        let one = |s: String| Ok(vec![s]);
        match kind {
            OpKind::CreateTable {
                table,
                if_not_exists,
                columns,
                constraints,
            } => {
                if !constraints.is_empty() {
                    return Err("table constraints outside the Ecto DSL".to_string());
                }
                let q = self.table(table)?;
                let mut defs = Vec::new();
                let mut keys = Vec::new();
                for c in columns {
                    let Some(mut c) = self.with_repo_defaults(c) else {
                        continue;
                    };
                    let mut def = format!("{} {}", quote(&c.name)?, self.column_type(&c)?);
                    // The key `table/2` adds (default or `primary_key:` option)
                    // is `add(name, type, primary_key: true)`: no `null:`.
                    let from_table =
                        c.implicit || (c.primary_key && c.span.contains(&table.span.start));
                    if from_table {
                        c.null = None;
                    }
                    def.push_str(&column_options(&c));
                    defs.push(def);
                    if let Some(fk) = &c.references {
                        defs.push(self.reference(fk, table, &c.name)?);
                    }
                    if c.primary_key {
                        keys.push(quote(&c.name)?);
                    }
                }
                if !keys.is_empty() {
                    defs.push(format!("PRIMARY KEY ({})", keys.join(",")));
                }
                one(format!(
                    "CREATE TABLE {}{q} ({})",
                    if_do(*if_not_exists, "IF NOT EXISTS "),
                    defs.join(", ")
                ))
            }
            OpKind::DropTable { table, if_exists } => one(format!(
                "DROP TABLE {}{}",
                if_do(*if_exists, "IF EXISTS "),
                self.table(table)?
            )),
            OpKind::RenameTable { from, to } => one(format!(
                "ALTER TABLE {} RENAME TO {}",
                self.table(from)?,
                quote(&to.name)?
            )),
            OpKind::AddColumn {
                table,
                column,
                if_not_exists,
            } => {
                let c = self.with_reference_type(column);
                let mut sql = format!(
                    "ALTER TABLE {} ADD COLUMN {}{} {}{}",
                    self.table(table)?,
                    if_do(*if_not_exists, "IF NOT EXISTS "),
                    quote(&c.name)?,
                    self.column_type(&c)?,
                    column_options(&c)
                );
                if let Some(fk) = &c.references {
                    let _ = write!(sql, ", ADD {}", self.reference(fk, table, &c.name)?);
                }
                if c.primary_key {
                    let _ = write!(sql, ", ADD PRIMARY KEY ({})", quote(&c.name)?);
                }
                one(sql)
            }
            OpKind::RemoveColumn {
                table,
                column,
                if_exists,
                ..
            } => one(format!(
                "ALTER TABLE {} DROP COLUMN {}{}",
                self.table(table)?,
                if_do(*if_exists, "IF EXISTS "),
                quote(column)?
            )),
            OpKind::ModifyColumn {
                table,
                column,
                pg_type,
                null,
                default,
                references,
                drop_foreign_key,
                ..
            } => {
                let name = quote(column)?;
                let ty = match (pg_type, references) {
                    (Some(Some(t)), Some(fk)) if !fk.explicit_type => self
                        .settings
                        .config
                        .reference_type()
                        .unwrap_or_else(|| t.clone()),
                    (Some(Some(t)), _) => t.clone(),
                    _ => {
                        return Err(format!(
                            "the new type of column `{column}` is not a literal"
                        ))
                    }
                };
                let mut sql = format!("ALTER TABLE {} ", self.table(table)?);
                if let Some(fk) = drop_foreign_key {
                    let _ = write!(sql, "DROP CONSTRAINT {}, ", quote(fk)?);
                }
                let _ = write!(sql, "ALTER COLUMN {name} TYPE {ty}");
                if let Some(fk) = references {
                    let _ = write!(sql, ", ADD {}", self.reference(fk, table, column)?);
                }
                match null {
                    Some(true) => {
                        let _ = write!(sql, ", ALTER COLUMN {name} DROP NOT NULL");
                    }
                    Some(false) => {
                        let _ = write!(sql, ", ALTER COLUMN {name} SET NOT NULL");
                    }
                    None => {}
                }
                match default {
                    Some(Some(d)) => {
                        let _ = write!(sql, ", ALTER COLUMN {name} SET DEFAULT {d}");
                    }
                    Some(None) => {
                        let _ = write!(sql, ", ALTER COLUMN {name} SET DEFAULT NULL");
                    }
                    None => {}
                }
                one(sql)
            }
            OpKind::RenameColumn { table, from, to } => one(format!(
                "ALTER TABLE {} RENAME {} TO {}",
                self.table(table)?,
                quote(from)?,
                quote(to)?
            )),
            OpKind::CreateIndex {
                index,
                if_not_exists,
            } => one(self.create_index(index, *if_not_exists)?),
            OpKind::DropIndex {
                table,
                schema,
                name,
                if_exists,
            } => {
                let schema = schema
                    .clone()
                    .or_else(|| table.as_ref().and_then(|t| t.schema.clone()));
                one(format!(
                    "DROP INDEX {}{}{}",
                    if_do(self.source.concurrently(&span), "CONCURRENTLY "),
                    if_do(*if_exists, "IF EXISTS "),
                    self.qualified(schema.as_deref(), name)?
                ))
            }
            OpKind::RenameIndex {
                schema, from, to, ..
            } => one(format!(
                "ALTER INDEX {} RENAME TO {}",
                self.qualified(schema.as_deref(), from)?,
                quote(to)?
            )),
            OpKind::CreateConstraint {
                table, name, kind, ..
            } => {
                let name = name
                    .as_deref()
                    .ok_or_else(|| "a constraint without a name".to_string())?;
                let body = match kind {
                    ConstraintKind::Check(check) => format!("CHECK ({check})"),
                    ConstraintKind::Exclude(exclude) => format!("EXCLUDE USING {exclude}"),
                    _ => return Err("only check and exclude constraints are Ecto DSL".into()),
                };
                one(format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} {body}",
                    self.table(table)?,
                    quote(name)?
                ))
            }
            OpKind::DropConstraint {
                table,
                name,
                if_exists,
            } => one(format!(
                "ALTER TABLE {} DROP CONSTRAINT {}{}",
                self.table(table)?,
                if_do(*if_exists, "IF EXISTS "),
                quote(name)?
            )),
            OpKind::CreateView { .. }
            | OpKind::DropView { .. }
            | OpKind::RenameConstraint { .. }
            | OpKind::OtherDdl { .. } => Err("a raw SQL statement outside `execute`".to_string()),
        }
    }

    fn create_index(&self, index: &IndexDef, if_not_exists: bool) -> Result<String, String> {
        let columns = index
            .columns
            .iter()
            .map(|c| index_expr(c))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sql = format!(
            "CREATE {}INDEX {}{}{} ON {}",
            if_do(index.unique, "UNIQUE "),
            if_do(index.concurrently, "CONCURRENTLY "),
            if_do(if_not_exists, "IF NOT EXISTS "),
            quote(&index.name)?,
            self.table(&index.table)?
        );
        if let Some(using) = &index.using {
            let _ = write!(sql, " USING {using}");
        }
        let _ = write!(sql, " ({})", columns.join(", "));
        if let Some(w) = &index.where_clause {
            let _ = write!(sql, " WHERE {w}");
        }
        Ok(sql)
    }

    /// `CONSTRAINT "t_c_fkey" FOREIGN KEY ("c") REFERENCES "s"."r"("id") …`.
    fn reference(
        &self,
        fk: &ForeignKeyDef,
        table: &TableName,
        column: &str,
    ) -> Result<String, String> {
        let name = match &fk.name {
            Some(n) => quote(n)?,
            None => quote(&format!("{}_{column}_fkey", table.name))?,
        };
        let mut locals = vec![quote(column)?];
        let referenced_column = match (&fk.columns.first(), fk.explicit_column) {
            (_, false) => self
                .settings
                .config
                .foreign_key_column
                .clone()
                .unwrap_or_else(|| "id".to_string()),
            (Some(c), true) => c.to_string(),
            (None, true) => "id".to_string(),
        };
        let mut remotes = vec![quote(&referenced_column)?];
        for (local, remote) in &fk.with {
            locals.push(quote(local)?);
            remotes.push(quote(remote)?);
        }
        Ok(format!(
            "CONSTRAINT {name} FOREIGN KEY ({}) REFERENCES {}({}){}{}",
            locals.join(","),
            self.table(&fk.table)?,
            remotes.join(","),
            on_delete(fk.on_delete.as_deref())?,
            on_update(fk.on_update.as_deref())?
        ))
    }

    /// The implicit primary key as the repo's `migration_primary_key`
    /// makes it (`None`: the repo says `false`); reference types defaulted.
    fn with_repo_defaults(&self, c: &ColumnDef) -> Option<ColumnDef> {
        if !c.implicit {
            return Some(self.with_reference_type(c));
        }
        let config = &self.settings.config;
        if config.no_primary_key {
            return None;
        }
        let mut c = c.clone();
        if let Some((name, ty)) = &config.primary_key {
            c.name = name.clone();
            c.pg_type = Some(ty.clone());
        }
        Some(c)
    }

    fn with_reference_type(&self, c: &ColumnDef) -> ColumnDef {
        let mut c = c.clone();
        if let Some(ty) = c
            .references
            .as_ref()
            .filter(|fk| !fk.explicit_type)
            .and(self.settings.config.reference_type())
        {
            c.pg_type = Some(ty);
        }
        c
    }

    fn column_type(&self, c: &ColumnDef) -> Result<String, String> {
        c.pg_type.clone().ok_or_else(|| {
            format!(
                "the type `{}` of column `{}` is not one Ecto renders statically",
                c.written_type, c.name
            )
        })
    }

    /// A table name with its prefix, or the repo's default prefix.
    fn table(&self, t: &TableName) -> Result<String, String> {
        let schema = t
            .schema
            .as_deref()
            .or(self.settings.config.default_prefix.as_deref());
        self.qualified(schema, &t.name)
    }

    fn qualified(&self, schema: Option<&str>, name: &str) -> Result<String, String> {
        Ok(match schema {
            Some(s) => format!("{}.{}", quote(s)?, quote(name)?),
            None => quote(name)?,
        })
    }
}

/// A heredoc's lines lose the indentation of its closing `"""`, as Elixir
/// strips it; other strings are kept as they are.
fn heredoc_dedented(call_text: &str, sql: &str) -> String {
    let indent = ["\"\"\"", "'''"].iter().find_map(|delimiter| {
        let at = call_text.rfind(delimiter)?;
        let line_start = call_text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
        let prefix = call_text.get(line_start..at)?;
        prefix
            .chars()
            .all(|c| c == ' ' || c == '\t')
            .then_some(prefix.len())
    });
    let Some(indent) = indent.filter(|i| *i > 0) else {
        return sql.to_string();
    };
    sql.split('\n')
        .map(|line| {
            let strip = line
                .bytes()
                .take(indent)
                .take_while(|b| *b == b' ' || *b == b'\t')
                .count();
            line.get(strip..).unwrap_or(line)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const CONDITIONAL: &str = "runs only when a condition in the migration holds";

fn if_do(condition: bool, s: &str) -> &str {
    if condition {
        s
    } else {
        ""
    }
}

/// ecto_sql's `quote_name/1`, which refuses a name holding `"`.
fn quote(name: &str) -> Result<String, String> {
    if name.contains('"') {
        return Err(format!("the name `{name}` holds `\"`, which Ecto refuses"));
    }
    Ok(format!("\"{name}\""))
}

/// `index_expr/1`: an atom column is quoted, a string is SQL as written.
/// The facts keep both as text; a lowercase identifier means the same
/// quoted or not, anything else is kept as written.
fn index_expr(column: &str) -> Result<String, String> {
    let plain = column
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && column
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        quote(column)
    } else {
        Ok(column.to_string())
    }
}

/// `column_options/2`: ` DEFAULT …` then ` NOT NULL`/` NULL`.
fn column_options(c: &ColumnDef) -> String {
    let mut out = String::new();
    if let Some(d) = &c.default {
        let _ = write!(out, " DEFAULT {d}");
    }
    match c.null {
        Some(false) => out.push_str(" NOT NULL"),
        Some(true) => out.push_str(" NULL"),
        None => {}
    }
    out
}

/// `reference_on_delete/1` of the action as the facts keep it.
fn on_delete(action: Option<&str>) -> Result<String, String> {
    Ok(match action.map(str::trim) {
        None | Some("nothing") => String::new(),
        Some("delete_all") => " ON DELETE CASCADE".into(),
        Some("nilify_all") => " ON DELETE SET NULL".into(),
        Some("restrict") => " ON DELETE RESTRICT".into(),
        Some("default_all") => " ON DELETE SET DEFAULT".into(),
        Some(other) => match other
            .strip_prefix("nilify(")
            .and_then(|r| r.strip_suffix(')'))
        {
            Some(columns) => {
                let quoted = columns
                    .split(',')
                    .map(|c| quote(c.trim()))
                    .collect::<Result<Vec<_>, _>>()?;
                format!(" ON DELETE SET NULL ({})", quoted.join(","))
            }
            None => return Err(format!("`on_delete: {other}` is not an action Ecto knows")),
        },
    })
}

/// `reference_on_update/1`.
fn on_update(action: Option<&str>) -> Result<String, String> {
    Ok(match action.map(str::trim) {
        None | Some("nothing") => String::new(),
        Some("update_all") => " ON UPDATE CASCADE".into(),
        Some("nilify_all") => " ON UPDATE SET NULL".into(),
        Some("restrict") => " ON UPDATE RESTRICT".into(),
        Some(other) => return Err(format!("`on_update: {other}` is not an action Ecto knows")),
    })
}

/// Every migration of `ws`, per repo model and in version order, rendered.
pub fn render_workspace(
    ws: &Workspace,
    analysis: &Analysis,
    version: Option<&str>,
    way: Way,
) -> String {
    let mut out = String::new();
    for model in &analysis.models {
        let mut files: Vec<&String> = model.migrations.iter().collect();
        if way == Way::Down {
            files.reverse();
        }
        for rel in files {
            let Some(file) = ws.files.get(rel) else {
                continue;
            };
            let FileRole::Migration { version: v, .. } = &file.role else {
                continue;
            };
            if version.is_some_and(|wanted| v.as_deref() != Some(wanted)) {
                continue;
            }
            let Some(facts) = file.migration() else {
                continue;
            };
            let settings = RenderSettings::of_file(ws, analysis, rel);
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&render_file(
                rel,
                v.as_deref(),
                &file.text,
                facts,
                way,
                &settings,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
