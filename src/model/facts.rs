//! Per-file facts: what one Elixir file (a migration, a resource, a schema, a
//! repo, a config) or one snapshot says, as plain structs with byte ranges into
//! that file. Extracted by `syntax/`, folded by `model/`, checked by `checks/`.

use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Range;

/// A byte range into the file the fact came from.
pub type Span = Range<usize>;

/// Something the extractor could not follow (a macro, `unquote`, an
/// interpolated table name). It becomes an `unresolved` finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    pub span: Span,
    pub message: String,
}

/// A `# ecto-ash-lsp: ignore code[, code] — reason` comment. It silences the
/// listed codes on `applies_to_line` (0-based), the line below the comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub applies_to_line: usize,
    pub codes: Vec<String>,
}

/// A table (or view) name as written, schema-qualified when a prefix was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableName {
    /// `None` means the default schema of the model being folded
    /// (`public`, or the tenant schema in tenant migrations).
    pub schema: Option<String>,
    pub name: String,
    /// Where the name is written (the `:users` atom, the SQL identifier).
    pub span: Span,
}

/// A Postgres column type after Ecto's own mapping (`:string` → `varchar(255)`).
/// `None` means it could not be resolved statically and shows as `"?"`.
pub type PgType = Option<String>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKeyDef {
    pub table: TableName,
    /// Referenced columns (`[id]` by default); for Ecto's `references/2` the
    /// `column:` only, the rest of a composite key is in `with`.
    pub columns: Vec<String>,
    /// `references(…, with: [local: :remote])`: the further (local, referenced)
    /// column pairs of a composite key; the constraint is on
    /// `(column, locals…)` → `(columns, remotes…)`.
    pub with: Vec<(String, String)>,
    /// Constraint name; `None` means Ecto's default `<table>_<column>_fkey`
    /// (named after the first column only, `with:` columns left out).
    pub name: Option<String>,
    /// As written: Ecto's atom (`delete_all`, `nilify(a, b)`) or the SQL words
    /// (`cascade`, `set null`); the fold turns both into Postgres's words.
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    /// The key column's type was written (`references(…, type: …)`, or the
    /// SQL column type). `false` means Ecto's default (`:bigserial` → bigint),
    /// which the repo's `migration_primary_key`/`migration_foreign_key`
    /// `type:` replaces when the model is folded.
    pub explicit_type: bool,
    /// The referenced column was written (`column:`, or a SQL column list).
    /// `false` means Ecto's default `id`, which the repo's
    /// `migration_foreign_key` `column:` replaces when the model is folded.
    pub explicit_column: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnDef {
    pub name: String,
    /// The whole definition (`add :name, :string, null: false`).
    pub span: Span,
    /// The column name as written.
    pub name_span: Span,
    /// The type as written in the source (`:string`, `{:array, :text}`, `varchar(40)`).
    pub written_type: String,
    pub pg_type: PgType,
    /// `Some(false)` for `null: false` / `NOT NULL`, `Some(true)` for
    /// `null: true` / `NULL`, `None` when not said (nullable unless primary key).
    pub null: Option<bool>,
    /// The default as SQL text (`'active'`, `gen_random_uuid()`, `0`).
    pub default: Option<String>,
    pub primary_key: bool,
    pub references: Option<ForeignKeyDef>,
    /// Ecto's default `id bigserial` primary key, added because `table/2`
    /// did not say `primary_key: false`; the repo's `migration_primary_key`
    /// config can change its name and type when the model is folded.
    pub implicit: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexDef {
    pub table: TableName,
    /// The index name (Ecto's default `<table>_<cols>_index` already applied).
    pub name: String,
    /// Column names, or the expression text for expression indexes.
    pub columns: Vec<String>,
    pub unique: bool,
    pub where_clause: Option<String>,
    pub concurrently: bool,
    /// Explicit `using:` method (btree, gin, …).
    pub using: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ConstraintKind {
    Check(String),
    Exclude(String),
    Unique(Vec<String>),
    PrimaryKey(Vec<String>),
    ForeignKey {
        columns: Vec<String>,
        references: ForeignKeyDef,
    },
}

/// What one migration statement does to the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum OpKind {
    /// `create table` / `create_if_not_exists table` / raw `CREATE TABLE`.
    /// `columns` includes Ecto's default `id bigserial` primary key when the
    /// migration did not say `primary_key: false`; `constraints` holds table
    /// level constraints written inside a raw `CREATE TABLE`.
    CreateTable {
        table: TableName,
        if_not_exists: bool,
        columns: Vec<ColumnDef>,
        constraints: Vec<(Option<String>, ConstraintKind)>,
    },
    /// Raw `CREATE [MATERIALIZED] VIEW`: exists as a relation for drift
    /// purposes; its columns are usually not knowable statically.
    CreateView {
        table: TableName,
        materialized: bool,
        if_not_exists: bool,
        or_replace: bool,
        columns: Vec<String>,
    },
    DropTable {
        table: TableName,
        if_exists: bool,
    },
    DropView {
        table: TableName,
        materialized: bool,
        if_exists: bool,
    },
    RenameTable {
        from: TableName,
        to: TableName,
    },
    AddColumn {
        table: TableName,
        column: ColumnDef,
        if_not_exists: bool,
    },
    RemoveColumn {
        table: TableName,
        column: String,
        column_span: Span,
        if_exists: bool,
    },
    /// `modify :c, type, opts` / `ALTER COLUMN … TYPE / SET NOT NULL / SET DEFAULT`.
    ModifyColumn {
        table: TableName,
        column: String,
        column_span: Span,
        /// New type, when one was given.
        pg_type: Option<PgType>,
        written_type: Option<String>,
        /// New nullability, when one was given.
        null: Option<bool>,
        /// `Some(None)` drops the default.
        default: Option<Option<String>>,
        references: Option<ForeignKeyDef>,
        /// The foreign key ecto_sql drops first because `from:` was a
        /// `references(…)`: its `name:` or `<table>_<column>_fkey`.
        drop_foreign_key: Option<String>,
    },
    RenameColumn {
        table: TableName,
        from: String,
        to: String,
    },
    CreateIndex {
        index: IndexDef,
        if_not_exists: bool,
    },
    /// Ecto's `rename index(…), to: :b` / raw `ALTER INDEX [IF EXISTS] a RENAME TO b`.
    /// Index names are unique per schema, so the table is not needed.
    RenameIndex {
        /// Schema of the index, when given.
        schema: Option<String>,
        from: String,
        to: String,
        if_exists: bool,
    },
    DropIndex {
        /// Ecto's `drop index(:t, [...])` knows the table; raw `DROP INDEX` may not.
        table: Option<TableName>,
        /// Schema of the index, when given.
        schema: Option<String>,
        name: String,
        if_exists: bool,
    },
    CreateConstraint {
        table: TableName,
        name: Option<String>,
        kind: ConstraintKind,
        /// True only for raw SQL that guards itself (a `DO $$` block checking
        /// `pg_constraint`); Ecto's `create constraint` has no such form.
        if_not_exists: bool,
    },
    DropConstraint {
        table: TableName,
        name: String,
        if_exists: bool,
    },
    /// Raw `ALTER TABLE t RENAME CONSTRAINT a TO b` (checks, foreign keys,
    /// unique and primary key constraints, whose index is renamed with them).
    RenameConstraint {
        table: TableName,
        from: String,
        to: String,
    },
    /// Other DDL in raw SQL that we only judge for idempotency
    /// (`CREATE EXTENSION`, `CREATE TYPE`, `CREATE FUNCTION`, `CREATE SCHEMA`,
    /// `SELECT create_hypertable(…)`, …).
    OtherDdl {
        /// A short description: `create extension citext`.
        what: String,
        /// Whether re-running it succeeds (`IF NOT EXISTS`, `OR REPLACE`, a guard).
        idempotent: bool,
    },
}

/// Which function of the migration module a statement sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Direction {
    Change,
    Up,
    Down,
    /// A private helper or anything else: not run by Ecto directly.
    Other,
}

/// Where a statement came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum OpSource {
    /// The Ecto migration DSL.
    Dsl,
    /// A statement inside an `execute` string. `guarded` is true when it sits
    /// in a `DO $$ … $$` block under an `IF [NOT] EXISTS (SELECT … FROM pg_…)`
    /// test, so re-running it is a no-op. `with_down` is true for
    /// `execute(up, down)`: Ecto can reverse it inside `change/0`.
    RawSql { guarded: bool, with_down: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationOp {
    /// The whole statement (`create table(:x) do … end`, `add :a, :b`, or
    /// the `execute` string for raw SQL).
    pub span: Span,
    /// The verb (`create`, `add`, `execute`), for quick fixes that rewrite it.
    pub verb_span: Span,
    pub direction: Direction,
    /// Inside `if`/`case`/`cond`/`for`/`unless`/`Enum.each`: it may not run.
    pub conditional: bool,
    pub source: OpSource,
    pub kind: OpKind,
}

/// A function of the migration module (`change`, `up`, `down`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationFunction {
    pub name: String,
    /// The whole `def … end`.
    pub span: Span,
}

/// The SQL text of one `execute` (or `repo().query!`) call, with literal
/// interpolation filled in: what `ecto-ash-lsp sql` prints for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawSqlText {
    /// The whole call.
    pub span: Span,
    /// The function called (`execute`, `repo().query!`).
    pub call: String,
    pub direction: Direction,
    pub conditional: bool,
    /// How many operations were recorded before this call: the call's own
    /// statements (if any) start at this index of `MigrationFacts::ops`.
    pub first_op: usize,
    /// The SQL run, or why it cannot be known statically.
    pub up: Result<String, String>,
    /// `execute(up, down)`: the SQL run on rollback, or why not known.
    pub down: Option<Result<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrationFacts {
    pub module: Option<String>,
    pub module_span: Option<Span>,
    /// `use Ecto.Migration` was seen.
    pub uses_ecto_migration: bool,
    pub functions: Vec<MigrationFunction>,
    pub ops: Vec<MigrationOp>,
    /// Every `execute`/`query` call's SQL text, in the order walked.
    pub raw_sql: Vec<RawSqlText>,
    pub unresolved: Vec<Unresolved>,
}

/// How an Ash resource or Ecto schema is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Ash,
    Ecto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeOrigin {
    Attribute,
    PrimaryKey,
    Timestamp,
    BelongsTo,
    /// The `encrypted_<name>` column AshCloak stores an attribute in. The
    /// fact keeps the attribute's own name (AshCloak makes it a calculation)
    /// and has `column` `encrypted_<name>`.
    Cloak,
    /// Declared in a base module's `__using__` quote.
    Base,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeFacts {
    pub name: String,
    /// The whole declaration (`attribute :name, :string do … end`).
    pub span: Span,
    pub name_span: Span,
    /// The type as written (`:string`, `Ash.Type.String`, `{:array, :string}`,
    /// `MyApp.Types.Status`); for Ecto schemas the Ecto type. `"belongs_to"`
    /// for a belongs_to key whose type is the destination's primary key type;
    /// `"?"` when the type is not a literal.
    pub written_type: String,
    /// The column name (`source:` or the attribute name).
    pub column: String,
    /// `None` when the declaration does not say and the framework has no
    /// default we can rely on (Ecto schema fields).
    pub allow_nil: Option<bool>,
    pub primary_key: bool,
    pub default: Option<String>,
    pub origin: AttributeOrigin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityFacts {
    pub name: String,
    pub span: Span,
    pub keys: Vec<String>,
    /// `all_tenants? true`: the unique index does not lead with the
    /// multitenancy attribute.
    pub all_tenants: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BelongsToFacts {
    pub name: String,
    pub span: Span,
    /// The destination module as written (alias expanded when the file says
    /// `alias MyApp.Accounts.Org`).
    pub destination: String,
    /// The key column (`<name>_id` or `source_attribute:`).
    pub attribute: String,
    /// `attribute_type:` when given; otherwise the destination's primary key type.
    pub attribute_type: Option<String>,
    pub allow_nil: Option<bool>,
    /// `define_attribute?: false`: the user declares the column themselves.
    pub define_attribute: bool,
    pub primary_key: bool,
}

/// `custom_indexes do index [:a, :b], unique: true end` in the postgres block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomIndexFacts {
    pub span: Span,
    pub columns: Vec<String>,
    pub name: Option<String>,
    pub unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckConstraintFacts {
    pub span: Span,
    pub name: String,
    pub check: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Multitenancy {
    /// Schema-per-tenant: the table lives in `tenant_migrations`.
    Context,
    /// An ordinary table with a tenant column.
    Attribute,
}

/// A value given by a literal (with where it is written), or marked as not
/// resolvable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Valued<T> {
    Literal {
        value: T,
        span: Span,
    },
    /// Written, but not statically resolvable (`table unquote(opts[:t])` with
    /// a non-literal argument, a function call …).
    Unresolved {
        span: Span,
    },
}

impl<T> Valued<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Valued::Literal { value, .. } => Some(value),
            Valued::Unresolved { .. } => None,
        }
    }
    pub fn span(&self) -> &Span {
        match self {
            Valued::Literal { span, .. } | Valued::Unresolved { span } => span,
        }
    }
}

/// An Ash resource (AshPostgres data layer) or an Ecto schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceFacts {
    pub module: String,
    pub module_span: Span,
    pub kind: ResourceKind,
    /// Ash: `data_layer: AshPostgres.DataLayer` seen (directly or via a base).
    /// Always true for Ecto schemas with a `schema "t"` block.
    pub postgres: bool,
    pub table: Option<Valued<String>>,
    /// `schema "platform"` in the postgres block, or `@schema_prefix`.
    pub schema: Option<Valued<String>>,
    pub repo: Option<String>,
    /// `migrate? false`.
    pub migrate: bool,
    pub multitenancy: Option<Multitenancy>,
    /// `multitenancy do attribute :org_id end`: the tenant column that
    /// AshPostgres puts first in identity indexes (strategy `:attribute`).
    pub multitenancy_attribute: Option<String>,
    /// `skip_unique_indexes [:identity]`: identities codegen makes no index for.
    pub skip_unique_indexes: Vec<String>,
    /// `references do reference :rel, ignore?: true end`: relationships
    /// whose foreign key is deliberately left out.
    pub ignored_references: Vec<String>,
    /// The `postgres do … end` block (or `schema "t" do … end`), for hover
    /// and code actions.
    pub postgres_span: Option<Span>,
    pub attributes: Vec<AttributeFacts>,
    pub identities: Vec<IdentityFacts>,
    pub belongs_to: Vec<BelongsToFacts>,
    pub custom_indexes: Vec<CustomIndexFacts>,
    pub check_constraints: Vec<CheckConstraintFacts>,
    /// `identity_index_names [name: "idx"]`.
    pub identity_index_names: BTreeMap<String, String>,
    /// Ash `extensions: [...]` (alias-expanded), which may add attributes the
    /// source does not show. `"?"` stands for a list that is not a literal.
    pub extensions: Vec<String>,
    /// `use MyApp.Base, table: "x"`: resolved against the base in `model/`.
    pub base: Option<BaseUse>,
    pub unresolved: Vec<Unresolved>,
}

impl ResourceFacts {
    /// The attribute names an identity's unique index covers, in AshPostgres's
    /// order: led by the multitenancy attribute under `:attribute`
    /// multitenancy (unless `all_tenants?`). `None` when the strategy is
    /// `:attribute` but its attribute is not known.
    pub fn identity_index_keys<'a>(&'a self, identity: &'a IdentityFacts) -> Option<Vec<&'a str>> {
        let tenant_key = match self.multitenancy {
            Some(Multitenancy::Attribute) if !identity.all_tenants => {
                Some(self.multitenancy_attribute.as_deref()?)
            }
            _ => None,
        };
        Some(
            tenant_key
                .into_iter()
                .chain(identity.keys.iter().map(String::as_str))
                .collect(),
        )
    }

    /// The column of the attribute named `name`.
    pub fn column_of(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.column.as_str())
    }
}

/// `use Some.Base, key: literal, …` on a module that is not itself declared a
/// resource directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseUse {
    pub module: String,
    pub span: Span,
    /// Literal options (`table: "cpu_metrics"` → `"table" => "cpu_metrics"`);
    /// non-literal ones are absent and listed in `unresolved_options`. An
    /// Ecto schema that writes `@primary_key false` records it here as
    /// `"@primary_key" => "false"` (no option can start with `@`).
    pub options: BTreeMap<String, String>,
    pub unresolved_options: Vec<String>,
}

/// A module defining `defmacro __using__(opts)` whose quote uses Ash.Resource
/// or Ecto.Schema. Its `resource` holds what the quote declares; values that
/// come from the macro's options are recorded as placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceTemplate {
    pub module: String,
    pub module_span: Span,
    /// The quoted resource body; `table`/`schema`/`repo` may be placeholders.
    pub resource: ResourceFacts,
    /// Option key read for the table (`table unquote(opts[:table])` → `table`).
    pub table_option: Option<String>,
    pub schema_option: Option<String>,
    pub repo_option: Option<String>,
    /// Option key the data layer is read from: `data_layer:
    /// unquote(opts[:data_layer])`, or `data_layer` when `use Ash.Resource,
    /// unquote(opts)` passes every option on.
    pub data_layer_option: Option<String>,
    /// `@foreign_key_type` set by an Ecto base's quote (`:binary_id`): the
    /// type of its users' `belongs_to` keys that do not say `type:`.
    pub foreign_key_type: Option<String>,
}

/// `use Ecto.Repo` / `use AshPostgres.Repo` module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepoFacts {
    pub module: String,
    pub span: Span,
    pub otp_app: Option<String>,
    /// False for a repo with another adapter (MySQL, SQLite, ClickHouse…):
    /// its migrations are not Postgres DDL and are not modelled.
    pub postgres: bool,
}

/// `config :app, MyApp.Repo, priv: "priv/x", migration_primary_key: …` in config/*.exs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepoConfigFacts {
    pub repo: String,
    pub span: Span,
    pub priv_dir: Option<String>,
    /// `migration_primary_key: [name: :id, type: :binary_id]`: (name, pg type).
    pub migration_primary_key: Option<(String, String)>,
    /// `migration_primary_key: false`.
    pub no_migration_primary_key: bool,
    pub migration_default_prefix: Option<String>,
    /// `migration_foreign_key: [column: :uuid, type: :binary_id]`: the
    /// default referenced column and pg type of `references/2`.
    pub migration_foreign_key_column: Option<String>,
    pub migration_foreign_key_type: Option<String>,
}

/// How a type module stores its values, as far as its source says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TypeStorage {
    /// An Ash type as written: `:string` for `use Ash.Type.Enum`, `:map` for
    /// an embedded resource or typed struct, a NewType's `subtype_of:`.
    Ash(String),
    /// The Ecto type a custom `use Ash.Type` returns from `storage_type/1`.
    Ecto(String),
}

/// A module defining an attribute type whose storage the source tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeModuleFacts {
    pub module: String,
    pub module_span: Span,
    pub storage: TypeStorage,
}

/// Everything one non-migration Elixir file says that we model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ElixirFacts {
    pub resources: Vec<ResourceFacts>,
    pub templates: Vec<ResourceTemplate>,
    /// Enum, NewType, embedded-resource and custom type modules.
    pub types: Vec<TypeModuleFacts>,
    pub repos: Vec<RepoFacts>,
    pub repo_configs: Vec<RepoConfigFacts>,
    pub unresolved: Vec<Unresolved>,
}

/// Visiting every byte span a migration fact holds, to move facts along
/// with their text. Each impl names every field, so a new span field cannot
/// be added without being moved too.
pub trait Spans {
    fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span));

    /// Move every span by `by` bytes (a statement walked at one offset
    /// reused at another).
    fn move_by(&mut self, by: isize) {
        self.spans_mut(&mut |span| {
            *span = span.start.saturating_add_signed(by)..span.end.saturating_add_signed(by);
        });
    }
}

impl Spans for Unresolved {
    fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Unresolved { span, message: _ } = self;
        f(span);
    }
}

impl Spans for TableName {
    fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let TableName {
            schema: _,
            name: _,
            span,
        } = self;
        f(span);
    }
}

impl Spans for ForeignKeyDef {
    fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let ForeignKeyDef {
            table,
            columns: _,
            with: _,
            name: _,
            on_delete: _,
            on_update: _,
            explicit_type: _,
            explicit_column: _,
        } = self;
        table.spans_mut(f);
    }
}

impl Spans for ColumnDef {
    fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let ColumnDef {
            name: _,
            span,
            name_span,
            written_type: _,
            pg_type: _,
            null: _,
            default: _,
            primary_key: _,
            references,
            implicit: _,
        } = self;
        f(span);
        f(name_span);
        if let Some(r) = references {
            r.spans_mut(f);
        }
    }
}

impl Spans for IndexDef {
    fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let IndexDef {
            table,
            name: _,
            columns: _,
            unique: _,
            where_clause: _,
            concurrently: _,
            using: _,
        } = self;
        table.spans_mut(f);
    }
}

impl Spans for ConstraintKind {
    fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            ConstraintKind::Check(_)
            | ConstraintKind::Exclude(_)
            | ConstraintKind::Unique(_)
            | ConstraintKind::PrimaryKey(_) => {}
            ConstraintKind::ForeignKey {
                columns: _,
                references,
            } => references.spans_mut(f),
        }
    }
}

impl Spans for OpKind {
    fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            OpKind::CreateTable {
                table,
                if_not_exists: _,
                columns,
                constraints,
            } => {
                table.spans_mut(f);
                for c in columns {
                    c.spans_mut(f);
                }
                for (_, kind) in constraints {
                    kind.spans_mut(f);
                }
            }
            OpKind::CreateView {
                table,
                materialized: _,
                if_not_exists: _,
                or_replace: _,
                columns: _,
            }
            | OpKind::DropTable {
                table,
                if_exists: _,
            }
            | OpKind::DropView {
                table,
                materialized: _,
                if_exists: _,
            }
            | OpKind::RenameColumn {
                table,
                from: _,
                to: _,
            }
            | OpKind::DropConstraint {
                table,
                name: _,
                if_exists: _,
            }
            | OpKind::RenameConstraint {
                table,
                from: _,
                to: _,
            } => table.spans_mut(f),
            OpKind::RenameTable { from, to } => {
                from.spans_mut(f);
                to.spans_mut(f);
            }
            OpKind::AddColumn {
                table,
                column,
                if_not_exists: _,
            } => {
                table.spans_mut(f);
                column.spans_mut(f);
            }
            OpKind::RemoveColumn {
                table,
                column: _,
                column_span,
                if_exists: _,
            } => {
                table.spans_mut(f);
                f(column_span);
            }
            OpKind::ModifyColumn {
                table,
                column: _,
                column_span,
                pg_type: _,
                written_type: _,
                null: _,
                default: _,
                references,
                drop_foreign_key: _,
            } => {
                table.spans_mut(f);
                f(column_span);
                if let Some(r) = references {
                    r.spans_mut(f);
                }
            }
            OpKind::CreateIndex {
                index,
                if_not_exists: _,
            } => index.spans_mut(f),
            OpKind::RenameIndex {
                schema: _,
                from: _,
                to: _,
                if_exists: _,
            }
            | OpKind::OtherDdl {
                what: _,
                idempotent: _,
            } => {}
            OpKind::DropIndex {
                table,
                schema: _,
                name: _,
                if_exists: _,
            } => {
                if let Some(t) = table {
                    t.spans_mut(f);
                }
            }
            OpKind::CreateConstraint {
                table,
                name: _,
                kind,
                if_not_exists: _,
            } => {
                table.spans_mut(f);
                kind.spans_mut(f);
            }
        }
    }
}

impl Spans for MigrationOp {
    fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let MigrationOp {
            span,
            verb_span,
            direction: _,
            conditional: _,
            source: _,
            kind,
        } = self;
        f(span);
        f(verb_span);
        kind.spans_mut(f);
    }
}

impl Spans for RawSqlText {
    fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let RawSqlText {
            span,
            call: _,
            direction: _,
            conditional: _,
            first_op: _,
            up: _,
            down: _,
        } = self;
        f(span);
    }
}
