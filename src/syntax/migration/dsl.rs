//! The Ecto migration DSL: `create`/`alter`/`drop`/`rename` of `table/2`,
//! `index/3`, `unique_index/3` and `constraint/3`, and the column statements
//! inside table blocks (`add`, `modify`, `remove`, `timestamps`,
//! `references/2`), read into [`OpKind`]s the way `Ecto.Migration` builds them.

use super::postgres::{
    column_type, default_index_name, default_sql, reference_column_type, single_quote, DefaultSql,
    EctoType, Json, TypeOptions,
};
use super::{operator, Ctx, Extractor, Scope, TableFrame};
use crate::model::facts::{
    ColumnDef, ConstraintKind, ForeignKeyDef, IndexDef, OpKind, OpSource, PgType, Span, TableName,
    Unresolved,
};
use crate::syntax::elixir::{
    body_statements, call_name, keyword_arg, keyword_args, keyword_pairs, list_keyword_pairs,
    positional_args, text, Value,
};
use tree_sitter::Node;

/// One keyword option of a call, with its value and, when written in place,
/// its node.
#[derive(Debug, Clone)]
struct Opt<'t> {
    key: String,
    value: Value,
    node: Option<Node<'t>>,
    span: Span,
}

/// The keyword options of a call (`null: false, default: 0`).
#[derive(Debug, Clone, Default)]
struct Opts<'t> {
    items: Vec<Opt<'t>>,
}

impl<'t> Opts<'t> {
    fn get(&self, key: &str) -> Option<&Opt<'t>> {
        self.items.iter().find(|o| o.key == key)
    }

    fn value(&self, key: &str) -> Option<&Value> {
        self.get(key).map(|o| &o.value)
    }

    fn bool(&self, key: &str) -> Option<bool> {
        self.value(key).and_then(Value::as_bool)
    }

    fn type_options(&self) -> TypeOptions {
        TypeOptions {
            size: self.value("size").cloned(),
            precision: self.value("precision").cloned(),
            scale: self.value("scale").cloned(),
            fields: self.value("fields").cloned(),
        }
    }
}

/// `table(name, opts)`.
struct TableSpec {
    table: TableName,
    /// The primary key column `create` adds (`None` for `primary_key: false`).
    primary_key: Option<ColumnDef>,
}

/// `constraint(table, name, opts)`.
struct ConstraintSpec {
    table: TableName,
    name: String,
    kind: Option<ConstraintKind>,
}

impl<'s, 't> Extractor<'s, 't> {
    /// `create`/`create_if_not_exists` of a table, index or constraint.
    pub(super) fn create(&mut self, node: Node<'t>, verb: Span, if_not_exists: bool, ctx: &Ctx) {
        let Some(object) = positional_args(node).first().copied() else {
            return;
        };
        let result = match call_name(object, self.src) {
            Some("table") => {
                self.create_table(node, verb, object, if_not_exists, ctx);
                return;
            }
            Some(kind @ ("index" | "unique_index")) => self
                .index_def(object, kind == "unique_index", &ctx.scope)
                .map(|index| OpKind::CreateIndex {
                    index,
                    if_not_exists,
                }),
            Some("constraint") if if_not_exists => Err(self.unresolved_at(
                node.byte_range(),
                "Ecto has no `create_if_not_exists` for constraints: this statement raises",
            )),
            Some("constraint") => self.constraint(object, &ctx.scope).and_then(|c| {
                let kind = c.kind.ok_or_else(|| {
                    self.unresolved_at(
                        object.byte_range(),
                        "a constraint without `check:` or `exclude:` cannot be created",
                    )
                })?;
                Ok(OpKind::CreateConstraint {
                    table: c.table,
                    name: Some(c.name),
                    kind,
                    if_not_exists: false,
                })
            }),
            _ => Err(self.not_a_schema_object(object)),
        };
        self.push_result(result, node, verb, ctx);
    }

    /// The argument of `create`/`drop`/… is not one of Ecto's schema objects.
    fn not_a_schema_object(&self, object: Node) -> Unresolved {
        self.unresolved_at(
            object.byte_range(),
            format!(
                "`{}` is not `table(…)`, `index(…)` or `constraint(…)`: not followed",
                self.snippet(&object.byte_range())
            ),
        )
    }

    fn push_result(
        &mut self,
        result: Result<OpKind, Unresolved>,
        node: Node<'t>,
        verb: Span,
        ctx: &Ctx,
    ) {
        match result {
            Ok(kind) => self.push_op(node.byte_range(), verb, ctx, OpSource::Dsl, kind),
            Err(u) => self.facts.unresolved.push(u),
        }
    }

    fn create_table(
        &mut self,
        node: Node<'t>,
        verb: Span,
        object: Node<'t>,
        if_not_exists: bool,
        ctx: &Ctx,
    ) {
        let spec = match self.table_spec(object, &ctx.scope) {
            Ok(spec) => spec,
            Err(u) => {
                self.facts.unresolved.push(u);
                return;
            }
        };
        let slot = self.open_tables.len();
        self.open_tables
            .push(spec.primary_key.into_iter().collect());
        let at = self.facts.ops.len();
        let mut inner = ctx.nested();
        inner.table = Some(TableFrame {
            table: spec.table.clone(),
            create_slot: Some(slot),
            conditional: ctx.conditional,
        });
        let body = body_statements(node, self.src);
        self.walk_body(&body, &mut inner);
        let columns = self.open_tables.pop().unwrap_or_default();
        let at = at.min(self.facts.ops.len());
        self.facts.ops.insert(
            at,
            crate::model::facts::MigrationOp {
                span: node.byte_range(),
                verb_span: verb,
                direction: ctx.direction,
                conditional: ctx.conditional,
                source: OpSource::Dsl,
                kind: OpKind::CreateTable {
                    table: spec.table,
                    if_not_exists,
                    columns,
                    constraints: Vec::new(),
                },
            },
        );
    }

    /// `alter table(...) do … end`: its column statements become operations.
    pub(super) fn alter(&mut self, node: Node<'t>, ctx: &Ctx) {
        let object = positional_args(node).first().copied();
        let Some(object) = object.filter(|o| call_name(*o, self.src) == Some("table")) else {
            self.unresolved(
                node,
                "`alter` of something other than `table(…)` is not followed",
            );
            return;
        };
        let spec = match self.table_spec(object, &ctx.scope) {
            Ok(spec) => spec,
            Err(u) => {
                self.facts.unresolved.push(u);
                return;
            }
        };
        let mut inner = ctx.nested();
        inner.table = Some(TableFrame {
            table: spec.table,
            create_slot: None,
            conditional: ctx.conditional,
        });
        let body = body_statements(node, self.src);
        self.walk_body(&body, &mut inner);
    }

    /// `drop`/`drop_if_exists` of a table, index or constraint.
    pub(super) fn drop(&mut self, node: Node<'t>, verb: Span, if_exists: bool, ctx: &Ctx) {
        let Some(object) = positional_args(node).first().copied() else {
            return;
        };
        let result = match call_name(object, self.src) {
            Some("table") => self
                .table_spec(object, &ctx.scope)
                .map(|spec| OpKind::DropTable {
                    table: spec.table,
                    if_exists,
                }),
            Some(kind @ ("index" | "unique_index")) => self
                .index_def(object, kind == "unique_index", &ctx.scope)
                .map(|index| OpKind::DropIndex {
                    schema: index.table.schema.clone(),
                    table: Some(index.table),
                    name: index.name,
                    if_exists,
                }),
            Some("constraint") => {
                self.constraint(object, &ctx.scope)
                    .map(|c| OpKind::DropConstraint {
                        table: c.table,
                        name: c.name,
                        if_exists,
                    })
            }
            _ => Err(self.not_a_schema_object(object)),
        };
        self.push_result(result, node, verb, ctx);
    }

    /// `rename table(:a), to: table(:b)` and `rename table(:t), :a, to: :b`.
    pub(super) fn rename(&mut self, node: Node<'t>, verb: Span, ctx: &Ctx) {
        let args = positional_args(node);
        let Some(object) = args.first().copied() else {
            return;
        };
        let to = keyword_arg(node, self.src, "to");
        let result = match (call_name(object, self.src), args.get(1)) {
            (Some("table"), None) => self.rename_table(node, object, to, &ctx.scope),
            (Some("table"), Some(column)) => {
                self.rename_column(node, object, *column, to, &ctx.scope)
            }
            (Some(kind @ ("index" | "unique_index")), None) => {
                self.rename_index(node, object, kind == "unique_index", to, &ctx.scope)
            }
            _ => return,
        };
        self.push_result(result, node, verb, ctx);
    }

    fn rename_table(
        &self,
        node: Node<'t>,
        object: Node<'t>,
        to: Option<Node<'t>>,
        scope: &Scope,
    ) -> Result<OpKind, Unresolved> {
        let from = self.table_spec(object, scope)?.table;
        let to = to
            .filter(|t| call_name(*t, self.src) == Some("table"))
            .ok_or_else(|| {
                self.unresolved_at(node.byte_range(), "`rename` without `to: table(…)`")
            })?;
        let to = self.table_spec(to, scope)?.table;
        // Ecto renames within the table's schema: the new name is unqualified.
        Ok(OpKind::RenameTable {
            to: TableName {
                schema: from.schema.clone(),
                ..to
            },
            from,
        })
    }

    /// `rename index(:t, [:c], name: :a), to: :b`: `ALTER INDEX a RENAME TO b`
    /// in the index's schema.
    fn rename_index(
        &self,
        node: Node<'t>,
        object: Node<'t>,
        unique: bool,
        to: Option<Node<'t>>,
        scope: &Scope,
    ) -> Result<OpKind, Unresolved> {
        let index = self.index_def(object, unique, scope)?;
        let to =
            to.ok_or_else(|| self.unresolved_at(node.byte_range(), "`rename` without `to:`"))?;
        let to = self.literal_name(to, scope, "new index name")?;
        Ok(OpKind::RenameIndex {
            schema: index.table.schema,
            from: index.name,
            to,
            if_exists: false,
        })
    }

    fn rename_column(
        &self,
        node: Node<'t>,
        object: Node<'t>,
        column: Node<'t>,
        to: Option<Node<'t>>,
        scope: &Scope,
    ) -> Result<OpKind, Unresolved> {
        let table = self.table_spec(object, scope)?.table;
        let from = self.column_name(column, scope)?;
        let to =
            to.ok_or_else(|| self.unresolved_at(node.byte_range(), "`rename` without `to:`"))?;
        let to = self.column_name(to, scope)?;
        Ok(OpKind::RenameColumn { table, from, to })
    }

    /// `add`/`add_if_not_exists`/`remove`/`remove_if_exists`/`modify`/
    /// `timestamps` inside a table block.
    pub(super) fn column_statement(
        &mut self,
        node: Node<'t>,
        verb: Span,
        name: &str,
        frame: &TableFrame,
        ctx: &Ctx,
    ) {
        if let Some(slot) = frame.create_slot {
            if !matches!(name, "add" | "add_if_not_exists" | "timestamps") {
                return;
            }
            if ctx.conditional != frame.conditional {
                self.unresolved(
                    node,
                    "a column defined conditionally inside `create table` is not followed",
                );
                return;
            }
            let columns = if name == "timestamps" {
                self.timestamps(node, &ctx.scope)
            } else {
                self.column_def(node, &frame.table, &ctx.scope)
                    .map(|c| vec![c])
            };
            match columns {
                Ok(columns) => {
                    if let Some(open) = self.open_tables.get_mut(slot) {
                        open.extend(columns);
                    }
                }
                Err(u) => self.facts.unresolved.push(u),
            }
            return;
        }
        let table = frame.table.clone();
        let result = match name {
            "add" | "add_if_not_exists" => {
                self.column_def(node, &table, &ctx.scope)
                    .map(|column| OpKind::AddColumn {
                        table,
                        column,
                        if_not_exists: name == "add_if_not_exists",
                    })
            }
            "timestamps" => match self.timestamps(node, &ctx.scope) {
                Ok(columns) => {
                    for column in columns {
                        let kind = OpKind::AddColumn {
                            table: table.clone(),
                            column,
                            if_not_exists: false,
                        };
                        self.push_op(node.byte_range(), verb.clone(), ctx, OpSource::Dsl, kind);
                    }
                    return;
                }
                Err(u) => Err(u),
            },
            "remove" | "remove_if_exists" => self.remove(node, table, name, &ctx.scope),
            _ => self.modify(node, table, &ctx.scope),
        };
        self.push_result(result, node, verb, ctx);
    }

    fn remove(
        &self,
        node: Node<'t>,
        table: TableName,
        verb: &str,
        scope: &Scope,
    ) -> Result<OpKind, Unresolved> {
        let column = positional_args(node).first().copied().ok_or_else(|| {
            self.unresolved_at(node.byte_range(), format!("`{verb}` without a column"))
        })?;
        Ok(OpKind::RemoveColumn {
            table,
            column: self.column_name(column, scope)?,
            column_span: column.byte_range(),
            if_exists: verb == "remove_if_exists",
        })
    }

    fn modify(
        &self,
        node: Node<'t>,
        table: TableName,
        scope: &Scope,
    ) -> Result<OpKind, Unresolved> {
        let args = positional_args(node);
        let (Some(column), Some(type_node)) = (args.first().copied(), args.get(1).copied()) else {
            return Err(self.unresolved_at(node.byte_range(), "`modify` without a column type"));
        };
        let name = self.column_name(column, scope)?;
        let opts = self.call_opts(node, 2, scope)?;
        let (pg_type, references, ecto_type) =
            self.column_type_of(type_node, &table, &opts.type_options(), scope)?;
        let default = match self.default_of(&opts, ecto_type.as_ref(), scope) {
            None | Some(DefaultSql::Unknown) => None,
            Some(DefaultSql::Null) => Some(None),
            Some(DefaultSql::Sql(sql)) => Some(Some(sql)),
        };
        let drop_foreign_key = self.dropped_foreign_key(&opts, &table, &name, scope)?;
        Ok(OpKind::ModifyColumn {
            table,
            column: name,
            column_span: column.byte_range(),
            pg_type: Some(pg_type),
            written_type: Some(text(type_node, self.src).to_string()),
            null: opts.bool("null"),
            default,
            references,
            drop_foreign_key,
        })
    }

    /// The foreign key `modify … from: references(…)` (or `from:
    /// {references(…), opts}`) drops before changing the column: ecto_sql
    /// drops it by the old reference's name, whatever the new type is.
    fn dropped_foreign_key(
        &self,
        opts: &Opts<'t>,
        table: &TableName,
        column: &str,
        scope: &Scope,
    ) -> Result<Option<String>, Unresolved> {
        let Some(from) = opts.get("from") else {
            return Ok(None);
        };
        let is_reference = |n: &Node<'t>| call_name(*n, self.src) == Some("references");
        let reference = from.node.and_then(|node| {
            if is_reference(&node) {
                return Some(node);
            }
            if node.kind() != "tuple" {
                return None;
            }
            let mut cursor = node.walk();
            let first = node
                .named_children(&mut cursor)
                .find(|c| c.kind() != "comment");
            first.filter(is_reference)
        });
        if let Some(reference) = reference {
            let (fk, _) = self.references(reference, table, scope)?;
            return Ok(Some(
                fk.name
                    .unwrap_or_else(|| format!("{}_{column}_fkey", table.name)),
            ));
        }
        let unknown = match &from.value {
            Value::Unknown => true,
            Value::Tuple(items) => matches!(items.first(), None | Some(Value::Unknown)),
            _ => false,
        };
        if unknown {
            return Err(self.unresolved_at(
                from.span.clone(),
                format!(
                    "the `from:` type `{}` is not a literal: whether it drops a foreign key is unknown",
                    self.snippet(&from.span)
                ),
            ));
        }
        Ok(None)
    }

    /// `add :name, type, opts` → the column it defines.
    fn column_def(
        &self,
        node: Node<'t>,
        table: &TableName,
        scope: &Scope,
    ) -> Result<ColumnDef, Unresolved> {
        let args = positional_args(node);
        let (Some(name_node), Some(type_node)) = (args.first().copied(), args.get(1).copied())
        else {
            return Err(self.unresolved_at(node.byte_range(), "`add` without a column type"));
        };
        let name = self.column_name(name_node, scope)?;
        let opts = self.call_opts(node, 2, scope)?;
        let (pg_type, references, ecto_type) =
            self.column_type_of(type_node, table, &opts.type_options(), scope)?;
        let default = match self.default_of(&opts, ecto_type.as_ref(), scope) {
            None | Some(DefaultSql::Unknown) => None,
            Some(DefaultSql::Null) => Some("NULL".to_string()),
            Some(DefaultSql::Sql(sql)) => Some(sql),
        };
        Ok(ColumnDef {
            name,
            span: node.byte_range(),
            name_span: name_node.byte_range(),
            written_type: text(type_node, self.src).to_string(),
            pg_type,
            null: opts.bool("null"),
            default,
            primary_key: opts.bool("primary_key") == Some(true),
            references,
            implicit: false,
        })
    }

    /// The Postgres type of a column type argument, with the foreign key a
    /// `references(...)` makes and the Ecto type defaults are rendered for.
    fn column_type_of(
        &self,
        type_node: Node<'t>,
        table: &TableName,
        type_options: &TypeOptions,
        scope: &Scope,
    ) -> Result<(PgType, Option<ForeignKeyDef>, Option<EctoType>), Unresolved> {
        if call_name(type_node, self.src) == Some("references") {
            let (fk, ty) = self.references(type_node, table, scope)?;
            let pg = ty
                .as_ref()
                .and_then(|t| reference_column_type(t, type_options));
            return Ok((pg, Some(fk), ty));
        }
        let ty = EctoType::from_value(&self.value(type_node, scope));
        let pg = ty.as_ref().and_then(|t| column_type(t, type_options));
        Ok((pg, None, ty))
    }

    /// `references(:table, opts)` inside a block on `table`.
    fn references(
        &self,
        call: Node<'t>,
        table: &TableName,
        scope: &Scope,
    ) -> Result<(ForeignKeyDef, Option<EctoType>), Unresolved> {
        let target = positional_args(call)
            .first()
            .copied()
            .ok_or_else(|| self.unresolved_at(call.byte_range(), "`references` without a table"))?;
        let name = self.literal_name(target, scope, "referenced table")?;
        let opts = self.call_opts(call, 1, scope)?;
        // ecto_sql qualifies the referenced table with the block's prefix by default.
        let schema = match opts.get("prefix") {
            Some(_) => self.prefix(&opts)?,
            None => table.schema.clone(),
        };
        let column = self
            .name_option(&opts, "column")?
            .unwrap_or_else(|| "id".into());
        let with = self.reference_with(&opts)?;
        let ty = match opts.value("type") {
            None => Some(EctoType::atom("bigserial")),
            Some(v) => EctoType::from_value(v),
        };
        Ok((
            ForeignKeyDef {
                table: TableName {
                    schema,
                    name,
                    span: target.byte_range(),
                },
                columns: vec![column],
                with,
                name: self.name_option(&opts, "name")?,
                on_delete: referential_action(opts.value("on_delete")),
                on_update: referential_action(opts.value("on_update")),
                explicit_type: opts.get("type").is_some(),
                explicit_column: opts.get("column").is_some(),
            },
            ty,
        ))
    }

    /// `with: [local: :remote, …]` of `references/2`: the further column
    /// pairs of a composite foreign key.
    fn reference_with(&self, opts: &Opts<'t>) -> Result<Vec<(String, String)>, Unresolved> {
        let Some(o) = opts.get("with") else {
            return Ok(Vec::new());
        };
        let pairs = match &o.value {
            Value::Keyword(pairs) => pairs
                .iter()
                .map(|(local, remote)| Some((local.clone(), remote.as_name()?.to_string())))
                .collect::<Option<Vec<_>>>(),
            Value::List(items) if items.is_empty() => Some(Vec::new()),
            _ => None,
        };
        pairs.ok_or_else(|| {
            self.unresolved_at(
                o.span.clone(),
                format!(
                    "the composite key columns `{}` are not a literal keyword list",
                    self.snippet(&o.span)
                ),
            )
        })
    }

    /// `timestamps(opts)` → `inserted_at` and `updated_at`.
    fn timestamps(&self, node: Node<'t>, scope: &Scope) -> Result<Vec<ColumnDef>, Unresolved> {
        let opts = self.call_opts(node, 0, scope)?;
        let (ty, written) = match opts.get("type") {
            None => (
                Some(EctoType::atom("naive_datetime")),
                ":naive_datetime".to_string(),
            ),
            Some(o) => (
                EctoType::from_value(&o.value),
                self.src.get(o.span.clone()).unwrap_or("?").to_string(),
            ),
        };
        let pg_type = ty
            .as_ref()
            .and_then(|t| column_type(t, &opts.type_options()));
        // `Keyword.put_new(opts, :null, false)`.
        let null = match opts.value("null") {
            None => Some(false),
            Some(v) => v.as_bool(),
        };
        let default = match self.default_of(&opts, ty.as_ref(), scope) {
            None | Some(DefaultSql::Unknown) => None,
            Some(DefaultSql::Null) => Some("NULL".to_string()),
            Some(DefaultSql::Sql(sql)) => Some(sql),
        };
        let mut out = Vec::new();
        for key in ["inserted_at", "updated_at"] {
            let name = match opts.get(key) {
                None => key.to_string(),
                Some(o) => match &o.value {
                    Value::Bool(false) => continue,
                    Value::Atom(s) | Value::Str(s) => s.clone(),
                    _ => {
                        return Err(self.unresolved_at(
                            o.span.clone(),
                            format!(
                                "the timestamp column name `{}` is not a literal",
                                self.snippet(&o.span)
                            ),
                        ))
                    }
                },
            };
            out.push(ColumnDef {
                name,
                span: node.byte_range(),
                name_span: node.byte_range(),
                written_type: written.clone(),
                pg_type: pg_type.clone(),
                null,
                default: default.clone(),
                primary_key: false,
                references: None,
                implicit: false,
            });
        }
        Ok(out)
    }

    /// `table(name, opts)`.
    fn table_spec(&self, call: Node<'t>, scope: &Scope) -> Result<TableSpec, Unresolved> {
        let name_node = positional_args(call)
            .first()
            .copied()
            .ok_or_else(|| self.unresolved_at(call.byte_range(), "`table` without a name"))?;
        let name = self.literal_name(name_node, scope, "table name")?;
        let opts = self.call_opts(call, 1, scope)?;
        let table = TableName {
            schema: self.prefix(&opts)?,
            name,
            span: name_node.byte_range(),
        };
        let primary_key = match opts.get("primary_key") {
            None => Some(implicit_primary_key(call.byte_range())),
            Some(o) => match &o.value {
                Value::Bool(true) => Some(implicit_primary_key(call.byte_range())),
                Value::Bool(false) => None,
                Value::Keyword(_) | Value::List(_) => Some(self.custom_primary_key(o, call)?),
                _ => {
                    return Err(self.unresolved_at(
                        o.span.clone(),
                        format!(
                            "the primary key option `{}` is not a literal",
                            self.snippet(&o.span)
                        ),
                    ))
                }
            },
        };
        Ok(TableSpec { table, primary_key })
    }

    /// `primary_key: [name: :uid, type: :binary_id]`: that key instead of `id`.
    fn custom_primary_key(&self, opt: &Opt<'t>, call: Node<'t>) -> Result<ColumnDef, Unresolved> {
        let pairs: &[(String, Value)] = match &opt.value {
            Value::Keyword(pairs) => pairs,
            Value::List(items) if items.is_empty() => &[],
            _ => {
                return Err(self.unresolved_at(
                    opt.span.clone(),
                    "the primary key options are not a keyword list",
                ))
            }
        };
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let name = match get("name") {
            None => "id".to_string(),
            Some(v) => v.as_name().map(str::to_string).ok_or_else(|| {
                self.unresolved_at(opt.span.clone(), "the primary key name is not a literal")
            })?,
        };
        let written_type = opt
            .node
            .map(|n| list_keyword_pairs(n, self.src))
            .and_then(|written| {
                written
                    .into_iter()
                    .find(|(k, _)| k == "type")
                    .map(|(_, v)| text(v, self.src).to_string())
            })
            .unwrap_or_else(|| match get("type") {
                Some(Value::Atom(a)) => format!(":{a}"),
                _ => ":bigserial".to_string(),
            });
        let ty = match get("type") {
            None => Some(EctoType::atom("bigserial")),
            Some(v) => EctoType::from_value(v),
        };
        let type_options = TypeOptions {
            size: get("size").cloned(),
            precision: get("precision").cloned(),
            scale: get("scale").cloned(),
            fields: get("fields").cloned(),
        };
        Ok(ColumnDef {
            name,
            span: call.byte_range(),
            name_span: call.byte_range(),
            written_type,
            pg_type: ty.as_ref().and_then(|t| column_type(t, &type_options)),
            null: Some(false),
            default: None,
            primary_key: true,
            references: None,
            implicit: false,
        })
    }

    /// `index(table, columns, opts)` with Ecto's default name.
    fn index_def(
        &self,
        call: Node<'t>,
        unique: bool,
        scope: &Scope,
    ) -> Result<IndexDef, Unresolved> {
        let args = positional_args(call);
        let (Some(table_node), Some(columns_node)) = (args.first().copied(), args.get(1).copied())
        else {
            return Err(self.unresolved_at(call.byte_range(), "`index` without columns"));
        };
        let table_name = self.literal_name(table_node, scope, "table name")?;
        let columns = match self.value(columns_node, scope) {
            Value::List(items) => items
                .iter()
                .map(|v| v.as_name().map(str::to_string))
                .collect::<Option<Vec<_>>>(),
            Value::Atom(a) => Some(vec![a]),
            _ => None,
        }
        .ok_or_else(|| {
            self.unresolved_at(
                columns_node.byte_range(),
                format!(
                    "the index columns `{}` are not literal",
                    self.snippet(&columns_node.byte_range())
                ),
            )
        })?;
        let opts = self.call_opts(call, 2, scope)?;
        let schema = self.prefix(&opts)?;
        let name = self
            .name_option(&opts, "name")?
            .unwrap_or_else(|| default_index_name(&table_name, &columns));
        let unique = match opts.get("unique") {
            None => unique,
            Some(o) => o.value.as_bool().ok_or_else(|| {
                self.unresolved_at(o.span.clone(), "the `unique:` option is not a literal")
            })?,
        };
        let where_clause = match opts.get("where") {
            None => None,
            Some(o) => match &o.value {
                Value::Nil => None,
                Value::Str(s) | Value::Atom(s) => Some(s.clone()),
                _ => {
                    return Err(self.unresolved_at(
                        o.span.clone(),
                        format!(
                            "the index condition `{}` is not a literal",
                            self.snippet(&o.span)
                        ),
                    ))
                }
            },
        };
        Ok(IndexDef {
            table: TableName {
                schema,
                name: table_name,
                span: table_node.byte_range(),
            },
            name,
            columns,
            unique,
            where_clause,
            concurrently: opts.bool("concurrently") == Some(true),
            using: opts
                .value("using")
                .and_then(Value::as_name)
                .map(str::to_string),
        })
    }

    /// `constraint(table, name, check: … | exclude: …, prefix: …)`.
    fn constraint(&self, call: Node<'t>, scope: &Scope) -> Result<ConstraintSpec, Unresolved> {
        let args = positional_args(call);
        let (Some(table_node), Some(name_node)) = (args.first().copied(), args.get(1).copied())
        else {
            return Err(self.unresolved_at(call.byte_range(), "`constraint` without a name"));
        };
        let table_name = self.literal_name(table_node, scope, "table name")?;
        let name = self.literal_name(name_node, scope, "constraint name")?;
        let opts = self.call_opts(call, 2, scope)?;
        let schema = self.prefix(&opts)?;
        let expression = |key: &str| -> Result<Option<String>, Unresolved> {
            match opts.get(key) {
                None => Ok(None),
                Some(o) => match &o.value {
                    Value::Str(s) => Ok(Some(s.clone())),
                    _ => Err(self.unresolved_at(
                        o.span.clone(),
                        format!(
                            "the `{key}:` expression `{}` is not a literal",
                            self.snippet(&o.span)
                        ),
                    )),
                },
            }
        };
        let kind = match (expression("check")?, expression("exclude")?) {
            (Some(check), _) => Some(ConstraintKind::Check(check)),
            (None, Some(exclude)) => Some(ConstraintKind::Exclude(exclude)),
            (None, None) => None,
        };
        Ok(ConstraintSpec {
            table: TableName {
                schema,
                name: table_name,
                span: table_node.byte_range(),
            },
            name,
            kind,
        })
    }

    /// The keyword options of a call whose first `positional` arguments are
    /// not options: written in place, or a variable/attribute holding a
    /// literal keyword list.
    fn call_opts(
        &self,
        call: Node<'t>,
        positional: usize,
        scope: &Scope,
    ) -> Result<Opts<'t>, Unresolved> {
        let mut items: Vec<Opt<'t>> = keyword_args(call, self.src)
            .into_iter()
            .filter(|(key, _)| key != "do")
            .map(|(key, node)| Opt {
                key,
                value: self.value(node, scope),
                node: Some(node),
                span: node.byte_range(),
            })
            .collect();
        let Some(extra) = positional_args(call).get(positional).copied() else {
            return Ok(Opts { items });
        };
        if extra.kind() == "list" {
            let written = list_keyword_pairs(extra, self.src);
            let mut cursor = extra.walk();
            let empty = extra
                .named_children(&mut cursor)
                .all(|c| c.kind() == "comment");
            if !written.is_empty() || empty {
                // Already read by `keyword_args` (a trailing literal list).
                return Ok(Opts { items });
            }
        }
        match self.value(extra, scope) {
            Value::Keyword(pairs) => items.extend(pairs.into_iter().map(|(key, value)| Opt {
                key,
                value,
                node: None,
                span: extra.byte_range(),
            })),
            Value::List(list) if list.is_empty() => {}
            _ => {
                return Err(self.unresolved_at(
                    extra.byte_range(),
                    format!(
                        "the options `{}` are not a literal keyword list",
                        self.snippet(&extra.byte_range())
                    ),
                ))
            }
        }
        Ok(Opts { items })
    }

    /// `prefix:` of a table, index, constraint or reference. `prefix()`
    /// (the migrator's prefix, in tenant migrations) is the default schema.
    fn prefix(&self, opts: &Opts<'t>) -> Result<Option<String>, Unresolved> {
        let Some(o) = opts.get("prefix") else {
            return Ok(None);
        };
        if let Some(node) = o.node {
            if call_name(node, self.src) == Some("prefix") && positional_args(node).is_empty() {
                return Ok(None);
            }
        }
        match &o.value {
            Value::Str(s) | Value::Atom(s) => Ok(Some(s.clone())),
            Value::Nil => Ok(None),
            _ => Err(self.unresolved_at(
                o.span.clone(),
                format!("the prefix `{}` is not a literal", self.snippet(&o.span)),
            )),
        }
    }

    /// An atom or string naming a table, constraint, index, …
    fn literal_name(
        &self,
        node: Node<'t>,
        scope: &Scope,
        what: &str,
    ) -> Result<String, Unresolved> {
        self.value(node, scope)
            .as_name()
            .map(str::to_string)
            .ok_or_else(|| {
                self.unresolved_at(
                    node.byte_range(),
                    format!(
                        "the {what} `{}` is not a literal",
                        self.snippet(&node.byte_range())
                    ),
                )
            })
    }

    /// A column name: Ecto's column functions take atoms only.
    fn column_name(&self, node: Node<'t>, scope: &Scope) -> Result<String, Unresolved> {
        match self.value(node, scope) {
            Value::Atom(name) => Ok(name),
            _ => Err(self.unresolved_at(
                node.byte_range(),
                format!(
                    "the column name `{}` is not a literal atom",
                    self.snippet(&node.byte_range())
                ),
            )),
        }
    }

    /// An optional atom-or-string option (`name:`, `column:`).
    fn name_option(&self, opts: &Opts<'t>, key: &str) -> Result<Option<String>, Unresolved> {
        match opts.get(key) {
            None => Ok(None),
            Some(o) => match &o.value {
                Value::Nil => Ok(None),
                v => v.as_name().map(|s| Some(s.to_string())).ok_or_else(|| {
                    self.unresolved_at(
                        o.span.clone(),
                        format!(
                            "the `{key}:` option `{}` is not a literal",
                            self.snippet(&o.span)
                        ),
                    )
                }),
            },
        }
    }

    /// `default:` rendered as SQL; `None` when there is no `default:`.
    fn default_of(
        &self,
        opts: &Opts<'t>,
        ty: Option<&EctoType>,
        scope: &Scope,
    ) -> Option<DefaultSql> {
        let o = opts.get("default")?;
        if let Some(node) = o.node.filter(|n| n.kind() == "map") {
            // ecto_sql renders a map default only for `:map` columns.
            let is_map = matches!(ty, Some(EctoType::Atom(a)) if a == "map");
            return Some(
                match self
                    .json(node, scope, 0)
                    .filter(|_| is_map)
                    .and_then(|j| j.encode())
                {
                    Some(json) => DefaultSql::Sql(single_quote(&json)),
                    None => DefaultSql::Unknown,
                },
            );
        }
        Some(default_sql(&o.value, ty))
    }

    /// A map or list literal as JSON (for `default: %{…}`).
    fn json(&self, node: Node<'t>, scope: &Scope, depth: usize) -> Option<Json> {
        if depth > 16 {
            return None;
        }
        match node.kind() {
            "map" => {
                let mut pairs = Vec::new();
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "map_content" => {
                            let mut c2 = child.walk();
                            for item in child.named_children(&mut c2) {
                                match item.kind() {
                                    "comment" => {}
                                    "keywords" => {
                                        for (key, value) in keyword_pairs(item, self.src) {
                                            pairs.push((
                                                true,
                                                key,
                                                self.json(value, scope, depth + 1)?,
                                            ));
                                        }
                                    }
                                    "binary_operator" if operator(item, self.src) == Some("=>") => {
                                        let key =
                                            self.value(item.child_by_field_name("left")?, scope);
                                        let value = self.json(
                                            item.child_by_field_name("right")?,
                                            scope,
                                            depth + 1,
                                        )?;
                                        match key {
                                            Value::Atom(k) => pairs.push((true, k, value)),
                                            Value::Str(k) => pairs.push((false, k, value)),
                                            _ => return None,
                                        }
                                    }
                                    _ => return None,
                                }
                            }
                        }
                        "comment" => {}
                        // `%Struct{}` and anything else we do not encode.
                        _ => return None,
                    }
                }
                Some(Json::Object(pairs))
            }
            "list" => {
                let mut items = Vec::new();
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "comment" => {}
                        "keywords" => return None,
                        _ => items.push(self.json(child, scope, depth + 1)?),
                    }
                }
                Some(Json::Array(items))
            }
            _ => Json::from_value(&self.value(node, scope)),
        }
    }
}

/// Ecto's implicit `id bigserial` primary key, written where `table(...)` is.
fn implicit_primary_key(span: Span) -> ColumnDef {
    ColumnDef {
        name: "id".to_string(),
        span: span.clone(),
        name_span: span,
        written_type: ":bigserial".to_string(),
        pg_type: Some("bigserial".to_string()),
        null: Some(false),
        default: None,
        primary_key: true,
        references: None,
        implicit: true,
    }
}

/// `on_delete:`/`on_update:`: `:delete_all` → `delete_all`,
/// `{:nilify, [:a, :b]}` → `nilify(a, b)`.
fn referential_action(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Atom(a) => Some(a.clone()),
        Value::Tuple(items) => match items.as_slice() {
            [Value::Atom(k), Value::List(columns)] if k == "nilify" => {
                let names: Option<Vec<&str>> = columns.iter().map(Value::as_name).collect();
                Some(format!("nilify({})", names?.join(", ")))
            }
            _ => None,
        },
        _ => None,
    }
}
