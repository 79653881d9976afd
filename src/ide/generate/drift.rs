//! Drift fixes: for a finding about a resource and its table, a new
//! migration that makes the table match (a column, the table, a unique
//! index, a foreign key, a column's type or nullability), or for a type or
//! nullability mismatch, an edit of the resource that makes it match the
//! table instead.

use super::plan::{self, ColumnPlan, TablePlan, TypeChange};
use super::writer::{Expr, Stmt};
use super::{generate, modify, GenerateOptions, Target};
use crate::checks::Finding;
use crate::ide::actions::{Action, ActionKind, FileEdit, TextEdit};
use crate::ide::Snapshot;
use crate::model::analysis::LinkedResource;
use crate::model::facts::{AttributeFacts, AttributeOrigin, ResourceKind};
use crate::model::fold::{FoldedColumn, FoldedTable};
use crate::model::types::{pg_family, TypeFamily};

/// Drift fixes for one finding (`index` into `snap.findings`) that write a
/// new migration or change the resource.
pub fn drift_fixes(snap: &Snapshot, index: usize, finding: &Finding) -> Vec<Action> {
    drift_fixes_with(snap, index, finding, &GenerateOptions::now())
}

/// [`drift_fixes`] at a given time.
pub fn drift_fixes_with(
    snap: &Snapshot,
    index: usize,
    finding: &Finding,
    options: &GenerateOptions,
) -> Vec<Action> {
    let Some(r) = resource_of(snap, finding) else {
        return Vec::new();
    };
    let Ok(target) = Target::of(snap, r) else {
        return Vec::new();
    };
    let fix = Fix {
        snap,
        index,
        finding,
        r,
        plan: target.plan(snap, r),
        target,
        options,
    };
    match finding.code() {
        "missing-table" => fix.create_table().into_iter().collect(),
        "missing-column" => fix.add_column().into_iter().collect(),
        "identity-without-unique-index" => fix.unique_index().into_iter().collect(),
        "belongs-to-without-foreign-key" => fix.foreign_key().into_iter().collect(),
        "nullability-mismatch" => [fix.nullability_in_resource(), fix.nullability_in_table()]
            .into_iter()
            .flatten()
            .collect(),
        "column-type-mismatch" => [fix.type_in_resource(), fix.type_in_table()]
            .into_iter()
            .flatten()
            .collect(),
        _ => Vec::new(),
    }
}

fn resource_of<'s>(snap: &'s Snapshot, finding: &Finding) -> Option<&'s LinkedResource> {
    let module = finding.resource.as_deref()?;
    snap.analysis
        .resources
        .iter()
        .find(|r| r.facts.module == module && r.file == finding.file)
        .or_else(|| snap.analysis.resource(module))
}

struct Fix<'a> {
    snap: &'a Snapshot,
    index: usize,
    finding: &'a Finding,
    r: &'a LinkedResource,
    target: Target,
    plan: TablePlan,
    options: &'a GenerateOptions,
}

impl Fix<'_> {
    fn table(&self) -> Option<&FoldedTable> {
        plan::existing_table(self.snap.analysis.model_of(self.r), self.r)
    }

    fn attribute(&self) -> Option<&AttributeFacts> {
        let column = self.finding.column.as_deref()?;
        let on_column = |a: &&AttributeFacts| a.column == column;
        let attrs = &self.r.facts.attributes;
        attrs
            .iter()
            .filter(on_column)
            .find(|a| a.span == self.finding.span || a.name_span == self.finding.span)
            .or_else(|| attrs.iter().find(on_column))
    }

    fn planned(&self) -> Option<&ColumnPlan> {
        self.plan.column(self.finding.column.as_deref()?)
    }

    fn action(&self, title: String, preferred: bool) -> Action {
        Action {
            title,
            kind: ActionKind::QuickFix,
            preferred,
            fixes: vec![self.index],
            edits: Vec::new(),
            new_files: Vec::new(),
        }
    }

    fn migration_action(
        &self,
        title: String,
        snake: &str,
        up: Vec<Stmt>,
        down: Vec<Stmt>,
    ) -> Action {
        let generated = self
            .target
            .migration(self.snap, snake, &self.plan, up, down, self.options);
        let mut action = self.action(title, true);
        action.new_files.push(generated.into_new_file());
        action
    }

    fn alter(&self, body: Vec<Stmt>) -> Stmt {
        Stmt::Block {
            verb: "alter".into(),
            call: self.plan.table_call(false),
            body,
        }
    }

    fn create_table(&self) -> Option<Action> {
        let generated = generate(self.snap, self.r, self.options).ok()?;
        let mut action = self.action(
            format!(
                "Create table {} in a new migration",
                self.finding.table.as_deref().unwrap_or(&self.plan.table)
            ),
            true,
        );
        action.new_files.push(generated.into_new_file());
        Some(action)
    }

    fn add_column(&self) -> Option<Action> {
        let c = self.planned()?;
        let mut up = vec![self.alter(vec![plan::add_column("add_if_not_exists", c, None)])];
        let mut down = Vec::new();
        if let Some(fk) = self.plan.foreign_key(&c.name) {
            if let (Some(guarded), Some(drop)) = (
                plan::guarded_foreign_key(&self.plan, fk),
                plan::drop_constraint(&self.plan, &fk.name),
            ) {
                up.push(Stmt::Blank);
                up.push(guarded);
                down.push(drop);
            }
        }
        down.push(self.alter(vec![Stmt::Call(Expr::call(
            "remove_if_exists",
            vec![Expr::atom(&c.name), c.ty.clone()],
        ))]));
        Some(self.migration_action(
            format!("Add column {} in a new migration", c.name),
            &format!("add_{}_to_{}", c.name, self.plan.table),
            up,
            down,
        ))
    }

    fn unique_index(&self) -> Option<Action> {
        let identity = self
            .r
            .facts
            .identities
            .iter()
            .find(|i| i.span == self.finding.span)?;
        let name = self
            .r
            .facts
            .identity_index_names
            .get(&identity.name)
            .cloned()
            .unwrap_or_else(|| format!("{}_{}_index", self.plan.table, identity.name));
        let index = self.plan.unique_indexes.iter().find(|i| i.name == name)?;
        Some(self.migration_action(
            format!("Add unique index {name} in a new migration"),
            &format!("add_{name}"),
            vec![plan::create_unique_index(&self.plan, index)],
            vec![plan::drop_index(&self.plan, index)],
        ))
    }

    fn foreign_key(&self) -> Option<Action> {
        let bt = self
            .r
            .facts
            .belongs_to
            .iter()
            .find(|b| b.span == self.finding.span)
            .or_else(|| {
                let column = self.finding.column.as_deref()?;
                self.r
                    .facts
                    .belongs_to
                    .iter()
                    .find(|b| b.attribute == column)
            })?;
        let fk = self.plan.foreign_key(&bt.attribute)?;
        let guarded = plan::guarded_foreign_key(&self.plan, fk)?;
        let drop = plan::drop_constraint(&self.plan, &fk.name)?;
        Some(self.migration_action(
            format!("Add foreign key {} in a new migration", fk.name),
            &format!("add_{}", fk.name),
            vec![guarded],
            vec![drop],
        ))
    }

    fn column(&self) -> Option<&FoldedColumn> {
        self.table()?.column(self.finding.column.as_deref()?)
    }

    /// `allow_nil?` set to what the column allows.
    fn nullability_in_resource(&self) -> Option<Action> {
        // Ecto schemas have no `allow_nil?` to edit.
        if self.r.facts.kind == ResourceKind::Ecto {
            return None;
        }
        let attr = self.attribute()?;
        let want = self.column()?.null;
        let file = self.snap.file(&self.r.file)?;
        let edit = allow_nil_edit(&file.text, attr, want)?;
        let mut action = self.action(format!("Set allow_nil? {want} on :{}", attr.name), false);
        action.edits.push(FileEdit {
            file: self.r.file.clone(),
            edits: vec![edit],
        });
        Some(action)
    }

    /// `modify` the column's nullability to what the attribute allows.
    fn nullability_in_table(&self) -> Option<Action> {
        let attr = self.attribute()?;
        let column = self.column()?;
        let null = attr.allow_nil?;
        let ty = plan::type_of_column(column)?;
        let what = if null { "nullable" } else { "NOT NULL" };
        Some(self.migration_action(
            format!("Make column {} {what} in a new migration", column.name),
            &format!("alter_{}_{}_null", self.plan.table, column.name),
            vec![self.alter(vec![modify(&column.name, &ty, null, &ty, column.null)])],
            vec![self.alter(vec![modify(&column.name, &ty, column.null, &ty, null)])],
        ))
    }

    /// The attribute's type changed to one the column stores.
    fn type_in_resource(&self) -> Option<Action> {
        let attr = self.attribute()?;
        if attr.origin == AttributeOrigin::BelongsTo {
            return None;
        }
        let column = self.column()?;
        let new_type = attribute_type_for(self.r.facts.kind, column.pg_type.as_deref()?)?;
        let file = self.snap.file(&self.r.file)?;
        let decl = file.text.get(attr.span.clone())?;
        let after_name = attr.name_span.end.checked_sub(attr.span.start)?;
        let at = decl.get(after_name..)?.find(attr.written_type.as_str())?
            + after_name
            + attr.span.start;
        let mut action = self.action(format!("Change :{} to type {new_type}", attr.name), false);
        action.edits.push(FileEdit {
            file: self.r.file.clone(),
            edits: vec![TextEdit {
                span: at..at + attr.written_type.len(),
                new_text: new_type,
            }],
        });
        Some(action)
    }

    /// Change the column to the attribute's type, reversibly (`modify …
    /// from:`, or `USING` casts both ways when Postgres needs them).
    fn type_in_table(&self) -> Option<Action> {
        let column = self.column()?;
        let planned = self.planned()?;
        let old = plan::type_of_column(column)?;
        let old_pg = column.pg_type.as_deref()?;
        let new_pg = plan::sql_type(&planned.ty)?;
        let up = plan::change_type(
            &self.plan,
            &column.name,
            (&old, old_pg),
            (&planned.ty, &new_pg),
        )?;
        let down = plan::change_type(
            &self.plan,
            &column.name,
            (&planned.ty, &new_pg),
            (&old, old_pg),
        )?;
        let wrap = |change: TypeChange| match change {
            TypeChange::Modify(stmt) => self.alter(vec![stmt]),
            TypeChange::Using(stmt) => stmt,
        };
        Some(self.migration_action(
            format!(
                "Change column {} to {} in a new migration",
                column.name,
                planned.ty.flat()
            ),
            &format!("alter_{}_{}_type", self.plan.table, column.name),
            vec![wrap(up)],
            vec![wrap(down)],
        ))
    }
}

/// Set `allow_nil?` in an attribute declaration: change the written value,
/// or add the option (a line in a `do` block, a keyword otherwise).
fn allow_nil_edit(text: &str, attr: &AttributeFacts, want: bool) -> Option<TextEdit> {
    let decl = text.get(attr.span.clone())?;
    for pattern in ["allow_nil? ", "allow_nil?: "] {
        if let Some(i) = decl.find(pattern) {
            let value_at = i + pattern.len();
            let rest = decl.get(value_at..)?;
            let old = ["true", "false"]
                .into_iter()
                .find(|v| rest.starts_with(v))?;
            let start = attr.span.start + value_at;
            return Some(TextEdit {
                span: start..start + old.len(),
                new_text: want.to_string(),
            });
        }
    }
    let line_start = text
        .get(..attr.span.start)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent = text
        .get(line_start..attr.span.start)?
        .chars()
        .take_while(|c| *c == ' ')
        .count();
    let first_line_end = decl.find('\n');
    if let Some(end) =
        first_line_end.filter(|&e| decl.get(..e).is_some_and(|l| l.trim_end().ends_with(" do")))
    {
        let at = attr.span.start + end;
        return Some(TextEdit {
            span: at..at,
            new_text: format!("\n{}allow_nil? {want}", " ".repeat(indent + 2)),
        });
    }
    if decl.contains('\n') {
        return None;
    }
    Some(TextEdit {
        span: attr.span.end..attr.span.end,
        new_text: format!(", allow_nil?: {want}"),
    })
}

/// An attribute type a column of this Postgres type stores.
fn attribute_type_for(kind: ResourceKind, pg: &str) -> Option<String> {
    let family = pg_family(pg);
    let precise = pg.trim().to_ascii_lowercase();
    let name = match (&family, kind) {
        (TypeFamily::Array(_), _) => {
            let inner = precise.strip_suffix("[]")?;
            return Some(format!("{{:array, {}}}", attribute_type_for(kind, inner)?));
        }
        (TypeFamily::Text, _) => ":string",
        (TypeFamily::CiText, ResourceKind::Ash) => ":ci_string",
        (TypeFamily::Integer, _) => ":integer",
        (TypeFamily::Float, _) => ":float",
        (TypeFamily::Numeric, _) => ":decimal",
        (TypeFamily::Boolean, _) => ":boolean",
        (TypeFamily::Uuid, ResourceKind::Ash) => ":uuid",
        (TypeFamily::Uuid, ResourceKind::Ecto) => ":binary_id",
        (TypeFamily::Json, _) => ":map",
        (TypeFamily::Timestamp, ResourceKind::Ash) if precise.ends_with("(0)") => ":utc_datetime",
        (TypeFamily::Timestamp, ResourceKind::Ash) => ":utc_datetime_usec",
        (TypeFamily::Timestamp, ResourceKind::Ecto) if precise.ends_with("(0)") => {
            ":naive_datetime"
        }
        (TypeFamily::Timestamp, ResourceKind::Ecto) => ":naive_datetime_usec",
        (TypeFamily::Date, _) => ":date",
        (TypeFamily::Time, _) => ":time",
        (TypeFamily::Binary, _) => ":binary",
        _ => return None,
    };
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(text: &str, decl: &str) -> AttributeFacts {
        let start = text.find(decl).unwrap_or(0);
        let name_at = start + decl.find(":a").unwrap_or(0);
        AttributeFacts {
            name: "a".into(),
            span: start..start + decl.len(),
            name_span: name_at..name_at + 2,
            written_type: ":string".into(),
            column: "a".into(),
            allow_nil: None,
            primary_key: false,
            default: None,
            origin: AttributeOrigin::Attribute,
        }
    }

    fn apply(text: &str, e: &TextEdit) -> String {
        let mut out = text.to_string();
        out.replace_range(e.span.clone(), &e.new_text);
        out
    }

    #[test]
    fn allow_nil_edits_each_form() {
        let text = "  attributes do\n    attribute :a, :string, allow_nil?: false\n  end\n";
        let a = attr(text, "attribute :a, :string, allow_nil?: false");
        let e = allow_nil_edit(text, &a, true).unwrap_or_else(|| panic!("an edit"));
        assert!(apply(text, &e).contains("allow_nil?: true"));

        let text = "    attribute :a, :string do\n      public? true\n    end\n";
        let a = attr(
            text,
            "attribute :a, :string do\n      public? true\n    end",
        );
        let e = allow_nil_edit(text, &a, false).unwrap_or_else(|| panic!("an edit"));
        assert_eq!(
            apply(text, &e),
            "    attribute :a, :string do\n      allow_nil? false\n      public? true\n    end\n"
        );

        let text = "    attribute :a, :string, public?: true\n";
        let a = attr(text, "attribute :a, :string, public?: true");
        let e = allow_nil_edit(text, &a, false).unwrap_or_else(|| panic!("an edit"));
        assert_eq!(
            apply(text, &e),
            "    attribute :a, :string, public?: true, allow_nil?: false\n"
        );
        // A span past the text is no edit, not a panic.
        let mut broken = a.clone();
        broken.span = 500..600;
        assert_eq!(allow_nil_edit(text, &broken, true), None);
    }

    #[test]
    fn attribute_types_for_columns() {
        assert_eq!(
            attribute_type_for(ResourceKind::Ash, "varchar(255)").as_deref(),
            Some(":string")
        );
        assert_eq!(
            attribute_type_for(ResourceKind::Ash, "bigint").as_deref(),
            Some(":integer")
        );
        assert_eq!(
            attribute_type_for(ResourceKind::Ash, "text[]").as_deref(),
            Some("{:array, :string}")
        );
        assert_eq!(
            attribute_type_for(ResourceKind::Ecto, "uuid").as_deref(),
            Some(":binary_id")
        );
        assert_eq!(attribute_type_for(ResourceKind::Ash, "tsvector"), None);
    }
}
