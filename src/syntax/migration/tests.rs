use super::*;
use crate::model::facts::{ConstraintKind, ForeignKeyDef, IndexDef};

fn facts(src: &str) -> MigrationFacts {
    let tree = elixir::parse(src).expect("parse");
    extract(src, &tree)
}

/// Facts with a stand-in SQL reader, so the `execute` plumbing is tested on
/// its own (see [`stand_in_sql`]).
fn facts_with_sql(src: &str) -> MigrationFacts {
    let tree = elixir::parse(src).expect("parse");
    extract_with(src, &tree, stand_in_sql)
}

/// A tiny SQL reader for tests: statements split on `;`; `CREATE TABLE
/// [IF NOT EXISTS] name` gives a `CreateTable` whose table span covers the
/// name; `GARBLED …` is unreadable; `DO …` is guarded; the rest is not DDL.
fn stand_in_sql(sql: &str) -> Vec<SqlStatement> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in sql.split_inclusive(';') {
        let lead = piece.len() - piece.trim_start().len();
        let body = piece.trim().trim_end_matches(';').trim_end();
        let at = start + lead;
        start += piece.len();
        let span = at..at + body.len();
        if body.is_empty() {
            continue;
        }
        if let Some(rest) = body.strip_prefix("CREATE TABLE ") {
            let mut name_at = at + "CREATE TABLE ".len();
            let (if_not_exists, rest) = match rest.strip_prefix("IF NOT EXISTS ") {
                Some(r) => {
                    name_at += "IF NOT EXISTS ".len();
                    (true, r)
                }
                None => (false, rest),
            };
            let ident = rest
                .split(|c: char| c.is_whitespace() || c == '(')
                .next()
                .unwrap_or("");
            let (schema, name) = match ident.split_once('.') {
                Some((s, n)) => (Some(s.to_string()), n.to_string()),
                None => (None, ident.to_string()),
            };
            out.push(SqlStatement {
                span,
                kind: Some(OpKind::CreateTable {
                    table: TableName {
                        schema,
                        name,
                        span: name_at..name_at + ident.len(),
                    },
                    if_not_exists,
                    columns: Vec::new(),
                    constraints: Vec::new(),
                }),
                guarded: false,
                unreadable: None,
            });
        } else if body.starts_with("GARBLED") {
            out.push(SqlStatement {
                span,
                kind: None,
                guarded: false,
                unreadable: Some("stand-in reader gave up".into()),
            });
        } else {
            out.push(SqlStatement {
                span,
                kind: None,
                guarded: body.starts_with("DO"),
                unreadable: None,
            });
        }
    }
    out
}

/// A migration module whose `change/0` body is `body`.
fn change(body: &str) -> String {
    format!(
        "defmodule MyApp.Repo.Migrations.Example do\n  use Ecto.Migration\n\n  def change do\n{body}\n  end\nend\n"
    )
}

fn slice<'a>(src: &'a str, span: &Span) -> &'a str {
    src.get(span.clone()).unwrap_or("<bad span>")
}

fn table_of(kind: &OpKind) -> &TableName {
    match kind {
        OpKind::CreateTable { table, .. }
        | OpKind::CreateView { table, .. }
        | OpKind::DropTable { table, .. }
        | OpKind::DropView { table, .. }
        | OpKind::AddColumn { table, .. }
        | OpKind::RemoveColumn { table, .. }
        | OpKind::ModifyColumn { table, .. }
        | OpKind::RenameColumn { table, .. }
        | OpKind::CreateConstraint { table, .. }
        | OpKind::DropConstraint { table, .. } => table,
        OpKind::RenameTable { from, .. } => from,
        OpKind::CreateIndex { index, .. } => &index.table,
        other => panic!("no table in {other:?}"),
    }
}

/// `schema.name` (or `name`) of each operation's table, in order.
fn tables(f: &MigrationFacts) -> Vec<String> {
    f.ops
        .iter()
        .map(|op| {
            let t = table_of(&op.kind);
            match &t.schema {
                Some(s) => format!("{s}.{}", t.name),
                None => t.name.clone(),
            }
        })
        .collect()
}

fn created_columns(op: &MigrationOp) -> &[ColumnDef] {
    match &op.kind {
        OpKind::CreateTable { columns, .. } => columns,
        other => panic!("not a create table: {other:?}"),
    }
}

fn column<'a>(columns: &'a [ColumnDef], name: &str) -> &'a ColumnDef {
    columns
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name} in {columns:?}"))
}

fn index_of(op: &MigrationOp) -> &IndexDef {
    match &op.kind {
        OpKind::CreateIndex { index, .. } => index,
        other => panic!("not a create index: {other:?}"),
    }
}

fn messages(f: &MigrationFacts) -> Vec<&str> {
    f.unresolved.iter().map(|u| u.message.as_str()).collect()
}

#[test]
fn module_functions_and_directions() {
    let src = r##"defmodule MyApp.Repo.Migrations.CreateUsers do
  use Ecto.Migration

  def up do
    create table(:users) do
      add :email, :string, null: false
    end
  end

  def down, do: drop(table(:users))
end
"##;
    let f = facts(src);
    assert_eq!(
        f.module.as_deref(),
        Some("MyApp.Repo.Migrations.CreateUsers")
    );
    assert_eq!(
        slice(src, f.module_span.as_ref().expect("module span")),
        "MyApp.Repo.Migrations.CreateUsers"
    );
    assert!(f.uses_ecto_migration);
    let names: Vec<&str> = f.functions.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["up", "down"]);
    assert!(slice(src, &f.functions[0].span).starts_with("def up do"));
    assert!(slice(src, &f.functions[0].span).ends_with("end"));
    assert_eq!(
        slice(src, &f.functions[1].span),
        "def down, do: drop(table(:users))"
    );
    assert_eq!(f.ops.len(), 2);
    assert_eq!(f.ops[0].direction, Direction::Up);
    assert_eq!(slice(src, &f.ops[0].verb_span), "create");
    assert!(slice(src, &f.ops[0].span).starts_with("create table(:users) do"));
    assert!(slice(src, &f.ops[0].span).ends_with("end"));
    assert_eq!(f.ops[1].direction, Direction::Down);
    assert_eq!(slice(src, &f.ops[1].verb_span), "drop");
    assert_eq!(slice(src, &f.ops[1].span), "drop(table(:users))");
    match &f.ops[1].kind {
        OpKind::DropTable { table, if_exists } => {
            assert_eq!(
                (table.schema.as_deref(), table.name.as_str()),
                (None, "users")
            );
            assert_eq!(slice(src, &table.span), ":users");
            assert!(table.span.start > f.ops[0].span.end);
            assert!(!if_exists);
        }
        other => panic!("{other:?}"),
    }
    assert!(f.unresolved.is_empty(), "{:?}", f.unresolved);
}

#[test]
fn parenthesised_callbacks_and_arity() {
    let src = "defmodule M do\n  use Ecto.Migration\n  def change() do\n    create table(:a)\n  end\n  def up(_repo), do: create(table(:b))\nend\n";
    let f = facts(src);
    let names: Vec<&str> = f.functions.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["change"]);
    // `up/1` is not a migration callback: what it does is `Other`.
    let dirs: Vec<(String, Direction)> = f
        .ops
        .iter()
        .map(|o| (table_of(&o.kind).name.clone(), o.direction))
        .collect();
    assert_eq!(
        dirs,
        [
            ("a".to_string(), Direction::Change),
            ("b".to_string(), Direction::Other)
        ]
    );
}

#[test]
fn create_table_columns_types_and_defaults() {
    let src = change(
        r##"    create table(:posts) do
      add :title, :string, null: false, default: "It's new"
      add :body, :text
      add :views, :integer, default: 0
      add :score, :float, default: 1.5
      add :published, :boolean, default: false, null: false
      add :tags, {:array, :string}, default: []
      add :labels, {:array, :text}, default: ["a", "b"]
      add :meta, :map, default: %{}
      add :settings, :map, default: %{"theme" => "dark", retries: 3}
      add :price, :decimal, precision: 10, scale: 2
      add :code, :string, size: 40
      add :published_at, :utc_datetime
      add :starts_at, :naive_datetime_usec
      add :opens_at, :time
      add :search, :tsvector
      add :name, :citext
      add :embedding, :vector, size: 3
      add :tz_time, :"timestamp with time zone"
      add :custom, some_type()
      add :deleted_at, :utc_datetime, default: nil
      add :born_on, :date, default: fragment("CURRENT_DATE")
      add :status, :string, default: :draft
      timestamps()
    end"##,
    );
    let f = facts(&src);
    assert_eq!(f.ops.len(), 1, "{:?}", f.unresolved);
    let op = &f.ops[0];
    assert_eq!(op.direction, Direction::Change);
    assert!(!op.conditional);
    assert_eq!(op.source, OpSource::Dsl);
    let OpKind::CreateTable {
        table,
        if_not_exists,
        columns,
        constraints,
    } = &op.kind
    else {
        panic!("{:?}", op.kind);
    };
    assert_eq!(table.name, "posts");
    assert_eq!(table.schema, None);
    assert_eq!(slice(&src, &table.span), ":posts");
    assert!(!if_not_exists);
    assert!(constraints.is_empty());

    let id = &columns[0];
    assert_eq!(
        id,
        &ColumnDef {
            name: "id".into(),
            span: id.span.clone(),
            name_span: id.span.clone(),
            written_type: ":bigserial".into(),
            pg_type: Some("bigserial".into()),
            null: Some(false),
            default: None,
            primary_key: true,
            references: None,
            implicit: true,
        }
    );
    assert_eq!(slice(&src, &id.span), "table(:posts)");

    let expect =
        |name: &str, written: &str, pg: Option<&str>, null: Option<bool>, default: Option<&str>| {
            let c = column(columns, name);
            assert_eq!(c.written_type, written, "{name}");
            assert_eq!(c.pg_type.as_deref(), pg, "{name}");
            assert_eq!(c.null, null, "{name}");
            assert_eq!(c.default.as_deref(), default, "{name}");
            assert!(
                !c.primary_key && !c.implicit && c.references.is_none(),
                "{name}"
            );
            assert_eq!(slice(&src, &c.name_span), format!(":{name}"));
            assert!(slice(&src, &c.span).starts_with(&format!("add :{name},")));
        };
    expect(
        "title",
        ":string",
        Some("varchar(255)"),
        Some(false),
        Some("'It''s new'"),
    );
    expect("body", ":text", Some("text"), None, None);
    expect("views", ":integer", Some("integer"), None, Some("0"));
    expect("score", ":float", Some("float"), None, Some("1.5"));
    expect(
        "published",
        ":boolean",
        Some("boolean"),
        Some(false),
        Some("false"),
    );
    expect(
        "tags",
        "{:array, :string}",
        Some("varchar(255)[]"),
        None,
        Some("ARRAY[]::varchar[]"),
    );
    expect(
        "labels",
        "{:array, :text}",
        Some("text[]"),
        None,
        Some("ARRAY['a','b']::text[]"),
    );
    expect("meta", ":map", Some("jsonb"), None, Some("'{}'"));
    expect(
        "settings",
        ":map",
        Some("jsonb"),
        None,
        Some(r##"'{"retries":3,"theme":"dark"}'"##),
    );
    expect("price", ":decimal", Some("decimal(10,2)"), None, None);
    expect("code", ":string", Some("varchar(40)"), None, None);
    expect(
        "published_at",
        ":utc_datetime",
        Some("timestamp(0)"),
        None,
        None,
    );
    expect(
        "starts_at",
        ":naive_datetime_usec",
        Some("timestamp"),
        None,
        None,
    );
    expect("opens_at", ":time", Some("time(0)"), None, None);
    expect("search", ":tsvector", Some("tsvector"), None, None);
    expect("name", ":citext", Some("citext"), None, None);
    expect("embedding", ":vector", Some("vector(3)"), None, None);
    expect(
        "tz_time",
        ":\"timestamp with time zone\"",
        Some("timestamp with time zone"),
        None,
        None,
    );
    expect("custom", "some_type()", None, None, None);
    expect(
        "deleted_at",
        ":utc_datetime",
        Some("timestamp(0)"),
        None,
        Some("NULL"),
    );
    expect("born_on", ":date", Some("date"), None, Some("CURRENT_DATE"));
    // Ecto refuses an atom default: no default is claimed.
    expect("status", ":string", Some("varchar(255)"), None, None);

    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.last(), Some(&"updated_at"));
    for ts in ["inserted_at", "updated_at"] {
        let c = column(columns, ts);
        assert_eq!(c.written_type, ":naive_datetime");
        assert_eq!(c.pg_type.as_deref(), Some("timestamp(0)"));
        assert_eq!(c.null, Some(false));
        assert_eq!(c.default, None);
        assert_eq!(slice(&src, &c.span), "timestamps()");
    }
    assert!(f.unresolved.is_empty(), "{:?}", f.unresolved);
}

#[test]
fn primary_key_options_and_table_options() {
    let src = change(
        r##"    create table(:accounts, primary_key: false) do
      add :id, :binary_id, primary_key: true
      add :name, :string
    end

    create table(:devices, primary_key: [name: :uid, type: :binary_id])
    create table(:tenants, prefix: "platform", comment: "Tenants", options: "WITH (fillfactor=70)")
    create_if_not_exists table(:settings) do
      add :key, :string
    end
    create table(:counters, [primary_key: false])"##,
    );
    let f = facts(&src);
    assert_eq!(
        tables(&f),
        [
            "accounts",
            "devices",
            "platform.tenants",
            "settings",
            "counters"
        ]
    );
    let accounts = created_columns(&f.ops[0]);
    assert_eq!(accounts.len(), 2);
    let id = column(accounts, "id");
    assert!(id.primary_key && !id.implicit);
    assert_eq!(id.pg_type.as_deref(), Some("uuid"));
    assert_eq!(id.null, None);

    let devices = created_columns(&f.ops[1]);
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].name, "uid");
    assert_eq!(devices[0].written_type, ":binary_id");
    assert_eq!(devices[0].pg_type.as_deref(), Some("uuid"));
    assert!(devices[0].primary_key && !devices[0].implicit);
    assert_eq!(devices[0].null, Some(false));
    assert_eq!(
        slice(&src, &devices[0].span),
        "table(:devices, primary_key: [name: :uid, type: :binary_id])"
    );
    assert_eq!(
        slice(&src, &f.ops[1].span),
        "create table(:devices, primary_key: [name: :uid, type: :binary_id])"
    );

    let tenants = created_columns(&f.ops[2]);
    assert_eq!(tenants.len(), 1);
    assert!(tenants[0].implicit);

    assert!(matches!(
        f.ops[3].kind,
        OpKind::CreateTable {
            if_not_exists: true,
            ..
        }
    ));
    assert_eq!(slice(&src, &f.ops[3].verb_span), "create_if_not_exists");
    assert_eq!(created_columns(&f.ops[3]).len(), 2);
    assert!(created_columns(&f.ops[4]).is_empty());
    assert!(f.unresolved.is_empty(), "{:?}", f.unresolved);
}

#[test]
fn alter_table_statements() {
    let src = change(
        r##"    alter table(:users) do
      add :nickname, :string, size: 80
      add_if_not_exists :age, :integer
      remove :legacy
      remove_if_exists :old_flag, :boolean
      modify :email, :text, null: true, from: :string
      modify :status, :string, default: "active"
      modify :note, :text, default: nil
      add :id, :uuid, primary_key: true
      timestamps(type: :utc_datetime_usec)
    end"##,
    );
    let f = facts(&src);
    assert!(f.unresolved.is_empty(), "{:?}", f.unresolved);
    let verbs: Vec<&str> = f.ops.iter().map(|o| slice(&src, &o.verb_span)).collect();
    assert_eq!(
        verbs,
        [
            "add",
            "add_if_not_exists",
            "remove",
            "remove_if_exists",
            "modify",
            "modify",
            "modify",
            "add",
            "timestamps",
            "timestamps"
        ]
    );
    assert_eq!(
        slice(&src, &f.ops[0].span),
        "add :nickname, :string, size: 80"
    );
    let users = |span: &Span| TableName {
        schema: None,
        name: "users".into(),
        span: span.clone(),
    };
    let table_span = table_of(&f.ops[0].kind).span.clone();
    assert_eq!(slice(&src, &table_span), ":users");
    match &f.ops[0].kind {
        OpKind::AddColumn {
            table,
            column,
            if_not_exists: false,
        } => {
            assert_eq!(table, &users(&table_span));
            assert_eq!(column.name, "nickname");
            assert_eq!(column.pg_type.as_deref(), Some("varchar(80)"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &f.ops[1].kind,
        OpKind::AddColumn { column, if_not_exists: true, .. } if column.name == "age"
    ));
    match &f.ops[2].kind {
        OpKind::RemoveColumn {
            column,
            column_span,
            if_exists,
            ..
        } => {
            assert_eq!(column, "legacy");
            assert_eq!(slice(&src, column_span), ":legacy");
            assert!(!if_exists);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &f.ops[3].kind,
        OpKind::RemoveColumn { column, if_exists: true, .. } if column == "old_flag"
    ));
    assert_eq!(
        f.ops[4].kind,
        OpKind::ModifyColumn {
            table: users(&table_span),
            column: "email".into(),
            column_span: match &f.ops[4].kind {
                OpKind::ModifyColumn { column_span, .. } => column_span.clone(),
                _ => 0..0,
            },
            pg_type: Some(Some("text".into())),
            written_type: Some(":text".into()),
            null: Some(true),
            default: None,
            references: None,
            drop_foreign_key: None,
        }
    );
    assert!(matches!(
        &f.ops[5].kind,
        OpKind::ModifyColumn { default: Some(Some(d)), null: None, .. } if d == "'active'"
    ));
    assert!(matches!(
        &f.ops[6].kind,
        OpKind::ModifyColumn {
            default: Some(None),
            ..
        }
    ));
    assert!(matches!(
        &f.ops[7].kind,
        OpKind::AddColumn { column, .. } if column.primary_key && column.pg_type.as_deref() == Some("uuid")
    ));
    for op in &f.ops[8..] {
        let OpKind::AddColumn { column, .. } = &op.kind else {
            panic!("{:?}", op.kind);
        };
        assert_eq!(column.pg_type.as_deref(), Some("timestamp"));
        assert_eq!(column.null, Some(false));
        assert_eq!(
            slice(&src, &op.span),
            "timestamps(type: :utc_datetime_usec)"
        );
    }
}

#[test]
fn timestamps_options() {
    let src = change(
        r##"    create table(:events, primary_key: false) do
      timestamps(inserted_at: :created_at, updated_at: false, type: :utc_datetime, default: fragment("now()"))
    end
    create table(:logs, primary_key: false) do
      timestamps(null: true, type: :utc_datetime_usec, precision: 3)
    end"##,
    );
    let f = facts(&src);
    let events = created_columns(&f.ops[0]);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].name, "created_at");
    assert_eq!(events[0].written_type, ":utc_datetime");
    assert_eq!(events[0].pg_type.as_deref(), Some("timestamp(0)"));
    assert_eq!(events[0].default.as_deref(), Some("now()"));
    assert_eq!(events[0].null, Some(false));
    let logs = created_columns(&f.ops[1]);
    let names: Vec<&str> = logs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["inserted_at", "updated_at"]);
    assert!(logs
        .iter()
        .all(|c| c.null == Some(true) && c.pg_type.as_deref() == Some("timestamp(3)")));
}

#[test]
fn references_in_add_and_modify() {
    let src = change(
        r##"    create table(:comments, prefix: "platform") do
      add :post_id, references(:posts, on_delete: :delete_all), null: false
      add :author_id, references(:users, type: :binary_id, prefix: "public", on_update: :update_all, name: :comments_author_fk)
      add :parent_id, references(:comments, column: :uid, type: :uuid, on_delete: :nilify_all)
      add :org_id, references("orgs", type: :serial)
      add :shop_id, references(:shops, with: [tenant_id: :tenant_id], on_delete: {:nilify, [:shop_id]})
    end

    alter table(:comments) do
      add_if_not_exists :editor_id, references(:users, on_delete: :nothing)
      modify :post_id, references(:posts, on_delete: :restrict), from: references(:posts)
      modify :author_id, :binary_id, from: {references(:users, type: :binary_id, name: :comments_author_fk), null: true}
      modify :org_id, :bigint, from: :integer
    end"##,
    );
    let f = facts(&src);
    assert!(f.unresolved.is_empty(), "{:?}", f.unresolved);
    let columns = created_columns(&f.ops[0]);
    let fk = |name: &str| -> (&ColumnDef, &ForeignKeyDef) {
        let c = column(columns, name);
        (c, c.references.as_ref().expect("a foreign key"))
    };
    let (post, post_fk) = fk("post_id");
    assert_eq!(post.pg_type.as_deref(), Some("bigint"));
    assert_eq!(post.null, Some(false));
    assert_eq!(
        post.written_type,
        "references(:posts, on_delete: :delete_all)"
    );
    assert_eq!(
        post_fk,
        &ForeignKeyDef {
            table: TableName {
                schema: Some("platform".into()),
                name: "posts".into(),
                span: post_fk.table.span.clone(),
            },
            columns: vec!["id".into()],
            with: Vec::new(),
            name: None,
            on_delete: Some("delete_all".into()),
            on_update: None,
            explicit_type: false,
            explicit_column: false,
        }
    );
    assert_eq!(slice(&src, &post_fk.table.span), ":posts");

    let (author, author_fk) = fk("author_id");
    assert_eq!(author.pg_type.as_deref(), Some("uuid"));
    assert_eq!(author_fk.table.schema.as_deref(), Some("public"));
    assert_eq!(author_fk.name.as_deref(), Some("comments_author_fk"));
    assert_eq!(author_fk.on_update.as_deref(), Some("update_all"));

    let (parent, parent_fk) = fk("parent_id");
    assert_eq!(parent.pg_type.as_deref(), Some("uuid"));
    assert_eq!(parent_fk.columns, ["uid"]);
    assert_eq!(parent_fk.on_delete.as_deref(), Some("nilify_all"));
    // Written `type:`/`column:` are kept; the repo's defaults apply to the rest.
    assert!(parent_fk.explicit_type && parent_fk.explicit_column);
    assert!(author_fk.explicit_type && !author_fk.explicit_column);

    let (org, org_fk) = fk("org_id");
    assert_eq!(org.pg_type.as_deref(), Some("integer"));
    assert_eq!(org_fk.table.name, "orgs");
    assert_eq!(org_fk.table.schema.as_deref(), Some("platform"));

    let (_, shop_fk) = fk("shop_id");
    assert_eq!(shop_fk.columns, ["id"]);
    assert_eq!(shop_fk.with, [("tenant_id".into(), "tenant_id".into())]);
    assert_eq!(shop_fk.on_delete.as_deref(), Some("nilify(shop_id)"));

    match &f.ops[1].kind {
        OpKind::AddColumn {
            column,
            if_not_exists: true,
            ..
        } => {
            let fk = column.references.as_ref().expect("fk");
            assert_eq!(fk.table.schema, None);
            assert_eq!(fk.table.name, "users");
            assert_eq!(fk.on_delete.as_deref(), Some("nothing"));
            assert_eq!(column.pg_type.as_deref(), Some("bigint"));
        }
        other => panic!("{other:?}"),
    }
    match &f.ops[2].kind {
        OpKind::ModifyColumn {
            column,
            pg_type,
            references: Some(fk),
            ..
        } => {
            assert_eq!(column, "post_id");
            assert_eq!(pg_type, &Some(Some("bigint".to_string())));
            assert_eq!(fk.on_delete.as_deref(), Some("restrict"));
            assert!(!fk.explicit_type);
        }
        other => panic!("{other:?}"),
    }
    // `from: references(…)` drops the old constraint by its name first.
    let dropped: Vec<Option<&str>> = f.ops[2..]
        .iter()
        .map(|op| match &op.kind {
            OpKind::ModifyColumn {
                drop_foreign_key, ..
            } => drop_foreign_key.as_deref(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        dropped,
        [
            Some("comments_post_id_fkey"),
            Some("comments_author_fk"),
            None
        ]
    );
}

#[test]
fn composite_references_and_unreadable_from() {
    let src = change(
        r##"    alter table(:enrollments) do
      add :teacher_id, references(:staff, with: [school_id: :school_id, term: :term_code], match: :full)
      add :room_id, references(:rooms, with: room_pairs())
      modify :course_id, :bigint, from: course_reference()
      modify :grade_id, :bigint, from: {grade_reference(), null: true}
    end"##,
    );
    let f = facts(&src);
    let [op] = f.ops.as_slice() else {
        panic!("{:#?}", f.ops);
    };
    let OpKind::AddColumn { column, .. } = &op.kind else {
        panic!("{op:?}");
    };
    let fk = column.references.as_ref().expect("a foreign key");
    assert_eq!(fk.columns, ["id"]);
    assert_eq!(
        fk.with,
        [
            ("school_id".to_string(), "school_id".to_string()),
            ("term".to_string(), "term_code".to_string())
        ]
    );
    assert_eq!(fk.name, None);
    assert_eq!(
        messages(&f),
        [
            "the composite key columns `room_pairs()` are not a literal keyword list",
            "the `from:` type `course_reference()` is not a literal: whether it drops a foreign key is unknown",
            "the `from:` type `{grade_reference(), null: true}` is not a literal: whether it drops a foreign key is unknown",
        ]
    );
}

#[test]
fn drop_and_rename() {
    let src = change(
        r##"    drop table(:old)
    drop_if_exists table(:older)
    drop table(:cascaded), mode: :cascade
    rename table(:posts), to: table(:articles)
    rename table(:articles, prefix: "blog"), to: table(:entries)
    rename table(:users), :name, to: :full_name"##,
    );
    let f = facts(&src);
    assert!(f.unresolved.is_empty(), "{:?}", f.unresolved);
    assert!(
        matches!(&f.ops[0].kind, OpKind::DropTable { table, if_exists: false } if table.name == "old")
    );
    assert!(
        matches!(&f.ops[1].kind, OpKind::DropTable { table, if_exists: true } if table.name == "older")
    );
    assert_eq!(slice(&src, &f.ops[1].verb_span), "drop_if_exists");
    assert!(matches!(&f.ops[2].kind, OpKind::DropTable { table, .. } if table.name == "cascaded"));
    assert_eq!(
        slice(&src, &f.ops[2].span),
        "drop table(:cascaded), mode: :cascade"
    );
    match &f.ops[3].kind {
        OpKind::RenameTable { from, to } => {
            assert_eq!(
                (from.name.as_str(), to.name.as_str()),
                ("posts", "articles")
            );
            assert_eq!(slice(&src, &to.span), ":articles");
        }
        other => panic!("{other:?}"),
    }
    match &f.ops[4].kind {
        OpKind::RenameTable { from, to } => {
            assert_eq!(from.schema.as_deref(), Some("blog"));
            assert_eq!(to.schema.as_deref(), Some("blog"));
            assert_eq!(to.name, "entries");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.ops[5].kind,
        OpKind::RenameColumn {
            table: table_of(&f.ops[5].kind).clone(),
            from: "name".into(),
            to: "full_name".into(),
        }
    );
    assert_eq!(table_of(&f.ops[5].kind).name, "users");
    assert_eq!(slice(&src, &f.ops[5].verb_span), "rename");
}

#[test]
fn indexes_names_and_options() {
    let src = change(
        r##"    create index(:posts, [:user_id])
    create unique_index(:users, [:email], name: :users_email_uniq)
    create index(:posts, [:title, :inserted_at], where: "deleted_at IS NULL", using: :btree, concurrently: true, prefix: "blog")
    create_if_not_exists index(:events, ["(lower(name))"], name: "events_lower_name_index")
    create index(:events, ["(payload->>'kind')"])
    create index(:tags, :name)
    create unique_index(:users, [:org_id, :username], unique: false)
    create index("audit_log", [:actor_id], using: "gin", include: [:at])
    drop index(:posts, [:user_id])
    drop_if_exists index(:posts, [:x], name: :custom_name)
    drop index(:posts, [:title], prefix: "blog"), mode: :cascade"##,
    );
    let f = facts(&src);
    assert!(f.unresolved.is_empty(), "{:?}", f.unresolved);
    let creates: Vec<&IndexDef> = f.ops[..8].iter().map(index_of).collect();
    let names: Vec<&str> = creates.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "posts_user_id_index",
            "users_email_uniq",
            "posts_title_inserted_at_index",
            "events_lower_name_index",
            "events__payload____kind_index",
            "tags_name_index",
            "users_org_id_username_index",
            "audit_log_actor_id_index"
        ]
    );
    let unique: Vec<bool> = creates.iter().map(|i| i.unique).collect();
    assert_eq!(
        unique,
        [false, true, false, false, false, false, false, false]
    );
    assert_eq!(creates[0].columns, ["user_id"]);
    assert_eq!(slice(&src, &creates[0].table.span), ":posts");
    assert_eq!(creates[2].columns, ["title", "inserted_at"]);
    assert_eq!(
        creates[2].where_clause.as_deref(),
        Some("deleted_at IS NULL")
    );
    assert_eq!(creates[2].using.as_deref(), Some("btree"));
    assert!(creates[2].concurrently);
    assert_eq!(creates[2].table.schema.as_deref(), Some("blog"));
    assert_eq!(creates[3].columns, ["(lower(name))"]);
    assert!(matches!(
        f.ops[3].kind,
        OpKind::CreateIndex {
            if_not_exists: true,
            ..
        }
    ));
    assert_eq!(creates[7].using.as_deref(), Some("gin"));
    assert_eq!(
        f.ops[8].kind,
        OpKind::DropIndex {
            table: Some(table_of_index(&f.ops[8].kind)),
            schema: None,
            name: "posts_user_id_index".into(),
            if_exists: false,
        }
    );
    assert!(matches!(
        &f.ops[9].kind,
        OpKind::DropIndex { name, if_exists: true, .. } if name == "custom_name"
    ));
    assert!(matches!(
        &f.ops[10].kind,
        OpKind::DropIndex { name, schema: Some(s), .. } if name == "posts_title_index" && s == "blog"
    ));
}

fn table_of_index(kind: &OpKind) -> TableName {
    match kind {
        OpKind::DropIndex { table: Some(t), .. } => t.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn constraints() {
    let src = change(
        r##"    create constraint(:products, :price_must_be_positive, check: "price > 0")
    create constraint("bookings", "no_overlap", exclude: ~s|gist (int4range("from", "to", '[]') WITH &&)|, prefix: "app")
    drop constraint(:products, :price_must_be_positive)
    drop_if_exists constraint(:products, "old_check")
    create_if_not_exists constraint(:products, :x, check: "1 = 1")
    create constraint(:products, :nothing_said)"##,
    );
    let f = facts(&src);
    assert_eq!(f.ops.len(), 4);
    match &f.ops[0].kind {
        OpKind::CreateConstraint {
            table,
            name,
            kind,
            if_not_exists,
        } => {
            assert_eq!(table.name, "products");
            assert_eq!(name.as_deref(), Some("price_must_be_positive"));
            assert_eq!(kind, &ConstraintKind::Check("price > 0".into()));
            assert!(!if_not_exists);
        }
        other => panic!("{other:?}"),
    }
    match &f.ops[1].kind {
        OpKind::CreateConstraint { table, kind, .. } => {
            assert_eq!(table.schema.as_deref(), Some("app"));
            assert_eq!(
                kind,
                &ConstraintKind::Exclude(
                    r##"gist (int4range("from", "to", '[]') WITH &&)"##.into()
                )
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &f.ops[2].kind,
        OpKind::DropConstraint { name, if_exists: false, .. } if name == "price_must_be_positive"
    ));
    assert!(matches!(
        &f.ops[3].kind,
        OpKind::DropConstraint { name, if_exists: true, .. } if name == "old_check"
    ));
    let m = messages(&f);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m[0].contains("create_if_not_exists"));
    assert!(m[1].contains("check:"));
}

#[test]
fn module_attributes_and_local_variables() {
    let src = r##"defmodule MyApp.Repo.Migrations.Devices do
  use Ecto.Migration

  @prefix "platform"
  @table :devices
  @opts [prefix: "platform"]

  def change do
    create table(@table, prefix: @prefix) do
      add :name, :string
    end

    create index(@table, [:name], prefix: @prefix)
    create table("#{@prefix}_audit")

    alter table(:devices, @opts) do
      add :serial, :text
    end

    table = "events"
    prefix = "analytics"
    create table(table, prefix: prefix)
    create index(table, [:at], prefix: prefix)

    table = build_name()
    create table(table)
    create table(:tenant_things, prefix: prefix())
    create table(:x, prefix: @missing)
  end
end
"##;
    let f = facts(src);
    assert_eq!(
        tables(&f),
        [
            "platform.devices",
            "platform.devices",
            "platform_audit",
            "platform.devices",
            "analytics.events",
            "analytics.events",
            "tenant_things"
        ]
    );
    assert_eq!(slice(src, &table_of(&f.ops[0].kind).span), "@table");
    assert_eq!(index_of(&f.ops[1]).name, "devices_name_index");
    assert_eq!(index_of(&f.ops[5]).name, "events_at_index");
    let m = messages(&f);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(m[0], "the table name `table` is not a literal");
    assert_eq!(m[1], "the prefix `@missing` is not a literal");
    assert_eq!(slice(src, &f.unresolved[0].span), "table");
}

#[test]
fn helpers_take_the_callers_direction() {
    let src = r##"defmodule MyApp.Repo.Migrations.Events do
  use Ecto.Migration

  def up do
    create_events_table("events")
    add_indexes()
  end

  def down do
    drop_events_table()
  end

  defp create_events_table(name, prefix \\ "analytics") do
    create table(name, prefix: prefix) do
      add :kind, :string
    end
  end

  defp add_indexes do
    create index(:events, [:kind], prefix: "analytics")
    add_indexes()
  end

  defp drop_events_table, do: drop(table(:events, prefix: "analytics"))

  defp never_called do
    create table(:orphans)
  end
end
"##;
    let f = facts(src);
    let summary: Vec<(String, Direction, bool)> = f
        .ops
        .iter()
        .map(|o| {
            let t = table_of(&o.kind);
            (t.name.clone(), o.direction, o.conditional)
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("events".to_string(), Direction::Up, false),
            ("events".to_string(), Direction::Up, false),
            ("events".to_string(), Direction::Down, false),
            ("orphans".to_string(), Direction::Other, false),
        ]
    );
    assert_eq!(tables(&f)[0], "analytics.events");
    // The op's span is the statement inside the helper.
    assert!(slice(src, &f.ops[0].span).starts_with("create table(name, prefix: prefix) do"));
    assert_eq!(slice(src, &table_of(&f.ops[0].kind).span), "name");
    assert!(f.unresolved.is_empty(), "{:?}", f.unresolved);
}

#[test]
fn helper_clauses_and_helpers_inside_table_blocks() {
    let src = r##"defmodule M do
  use Ecto.Migration

  def change do
    setup(:a)

    create table(:things) do
      common_columns()
    end
  end

  defp setup(:a), do: create(table(:alpha))
  defp setup(:b), do: create(table(:beta))

  defp common_columns do
    add :name, :string
    timestamps()
  end
end
"##;
    let f = facts(src);
    assert_eq!(tables(&f), ["alpha", "beta", "things"]);
    assert!(f.ops[0].conditional && f.ops[1].conditional);
    assert!(!f.ops[2].conditional);
    let names: Vec<&str> = created_columns(&f.ops[2])
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["id", "name", "inserted_at", "updated_at"]);
}

#[test]
fn conditionals_and_loops() {
    let src = r##"defmodule MyApp.Repo.Migrations.Conditional do
  use Ecto.Migration

  def change do
    if direction() == :up do
      create table(:a)
    else
      drop table(:b)
    end

    unless repo().exists?(:x), do: create(table(:c))

    case System.get_env("X") do
      "1" -> create index(:a, [:x])
      _ -> :ok
    end

    cond do
      true -> create table(:d)
    end

    for t <- [:e, :f] do
      create table(t)
    end

    for t <- tables(), do: create(table(t))
    Enum.each(~w(g h)a, fn t -> create index(t, [:id]) end)
    [:i] |> Enum.each(&make_table/1)
    flush()
    SomeModule.helper(:x)
    create table(:z)
  end

  defp make_table(name), do: create(table(name))
end
"##;
    let f = facts(src);
    let summary: Vec<(String, bool)> = f
        .ops
        .iter()
        .map(|o| (table_of(&o.kind).name.clone(), o.conditional))
        .collect();
    let expected: Vec<(String, bool)> = [
        ("a", true),
        ("b", true),
        ("c", true),
        ("a", true),
        ("d", true),
        ("e", false),
        ("f", false),
        ("g", false),
        ("h", false),
        ("i", false),
        ("z", false),
    ]
    .iter()
    .map(|(t, c)| (t.to_string(), *c))
    .collect();
    assert_eq!(summary, expected);
    assert!(matches!(f.ops[1].kind, OpKind::DropTable { .. }));
    assert_eq!(index_of(&f.ops[7]).name, "g_id_index");
    assert_eq!(messages(&f), ["the table name `t` is not a literal"]);
}

#[test]
fn columns_inside_conditionals() {
    let src = change(
        r##"    alter table(:users) do
      if System.get_env("WITH_BIO") do
        add :bio, :text
      end
    end

    create table(:profiles) do
      add :handle, :string
      if true, do: add(:maybe, :string)
      for col <- [:first_name, :last_name] do
        add col, :string
      end
    end"##,
    );
    let f = facts(&src);
    assert_eq!(f.ops.len(), 2);
    assert!(f.ops[0].conditional);
    assert!(matches!(&f.ops[0].kind, OpKind::AddColumn { column, .. } if column.name == "bio"));
    let names: Vec<&str> = created_columns(&f.ops[1])
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["id", "handle", "first_name", "last_name"]);
    assert_eq!(
        messages(&f),
        ["a column defined conditionally inside `create table` is not followed"]
    );
    assert_eq!(slice(&src, &f.unresolved[0].span), "add(:maybe, :string)");
}

#[test]
fn column_statements_outside_table_blocks_are_ignored() {
    let src = change("    add :stray, :string\n    timestamps()\n    remove :x");
    let f = facts(&src);
    assert!(f.ops.is_empty());
    assert!(f.unresolved.is_empty());
}

#[test]
fn execute_forms_that_cannot_be_read() {
    let src = r##"defmodule MyApp.Repo.Migrations.Raw do
  use Ecto.Migration

  def up do
    execute fn -> repo().query!("SELECT 1") end
    execute &seed/0
    execute_file "priv/sql/up.sql"
    repo().query!(sql_built_elsewhere())
    Ecto.Adapters.SQL.query!(repo(), statement, [])
    execute "CREATE TABLE #{table_name()} ()"
    execute sql_from_somewhere
    execute ~w(a b)
  end

  defp seed, do: :ok
end
"##;
    let f = facts_with_sql(src);
    assert!(f.ops.is_empty(), "{:?}", f.ops);
    let m = messages(&f);
    assert_eq!(
        m,
        [
            "`execute` with a function runs code, which is not read",
            "`execute` with a function runs code, which is not read",
            "`execute_file` runs SQL from a file, which is not read",
            "SQL run through `repo().query!` is not read: `sql_built_elsewhere()` is not a literal string",
            "SQL run through `Ecto.Adapters.SQL.query!` is not read: `statement` is not bound to a literal string here",
            "the SQL given to `execute` is not read: the interpolation `#{table_name()}` is not a literal",
            "the SQL given to `execute` is not read: `sql_from_somewhere` is not bound to a literal string here",
            "the SQL given to `execute` is not read: `~w(a b)` is not a string sigil",
        ]
    );
    assert_eq!(
        slice(src, &f.unresolved[5].span),
        r##"execute "CREATE TABLE #{table_name()} ()""##
    );
}

#[test]
fn execute_sql_spans_map_into_the_file() {
    let src = r##"defmodule MyApp.Repo.Migrations.RawSql do
  use Ecto.Migration

  @prefix "platform"
  @snapshots_sql """
  CREATE TABLE IF NOT EXISTS #{@prefix}.snapshots (id bigint)
  """

  def up do
    execute "CREATE TABLE plain (id int)"
    execute("CREATE TABLE a (x int); GARBLED stuff; CREATE TABLE #{@prefix}.b (y int)")
    execute ~s|CREATE TABLE "quoted" (id int)|
    execute ~S|CREATE TABLE raw_#{x} (id int)|
    execute "CREATE TABLE esc\t(id int)"
    execute @snapshots_sql
    sql = "CREATE TABLE from_var (id int)"
    execute sql
    execute "CREATE TABLE reversible (a int)", "DROP TABLE reversible"
    execute up_sql()
    execute "CREATE TABLE " <> "joined (id int)"
    execute "DO $$ BEGIN NULL; END $$"
  end

  def down do
    execute "CREATE TABLE in_down (id int)"
  end

  defp up_sql, do: "CREATE TABLE from_fn (id int)"
end
"##;
    let f = facts_with_sql(src);
    let rows: Vec<(String, &str, &str, Direction, bool)> = f
        .ops
        .iter()
        .map(|op| {
            let table = table_of(&op.kind);
            let OpSource::RawSql { with_down, guarded } = op.source else {
                panic!("{:?}", op.source);
            };
            assert!(!guarded);
            assert_eq!(slice(src, &op.verb_span), "execute");
            (
                tables_name(table),
                slice(src, &table.span),
                slice(src, &op.span),
                op.direction,
                with_down,
            )
        })
        .collect();
    let up = Direction::Up;
    assert_eq!(
        rows,
        [
            (
                "plain".to_string(),
                "plain",
                "CREATE TABLE plain (id int)",
                up,
                false
            ),
            ("a".to_string(), "a", "CREATE TABLE a (x int)", up, false),
            (
                "platform.b".to_string(),
                "#{@prefix}.b",
                "CREATE TABLE #{@prefix}.b (y int)",
                up,
                false
            ),
            (
                "\"quoted\"".to_string(),
                "\"quoted\"",
                "CREATE TABLE \"quoted\" (id int)",
                up,
                false
            ),
            (
                "raw_#{x}".to_string(),
                "raw_#{x}",
                "CREATE TABLE raw_#{x} (id int)",
                up,
                false
            ),
            (
                "esc".to_string(),
                "esc",
                "CREATE TABLE esc\\t(id int)",
                up,
                false
            ),
            (
                "platform.snapshots".to_string(),
                "#{@prefix}.snapshots",
                "CREATE TABLE IF NOT EXISTS #{@prefix}.snapshots (id bigint)",
                up,
                false
            ),
            (
                "from_var".to_string(),
                "from_var",
                "CREATE TABLE from_var (id int)",
                up,
                false
            ),
            (
                "reversible".to_string(),
                "reversible",
                "CREATE TABLE reversible (a int)",
                up,
                true
            ),
            (
                "from_fn".to_string(),
                "from_fn",
                "CREATE TABLE from_fn (id int)",
                up,
                false
            ),
            (
                "joined".to_string(),
                "joined",
                "CREATE TABLE \" <> \"joined (id int)",
                up,
                false
            ),
            (
                "in_down".to_string(),
                "in_down",
                "CREATE TABLE in_down (id int)",
                Direction::Down,
                false
            ),
        ]
    );
    assert_eq!(
        messages(&f),
        ["SQL statement not read: stand-in reader gave up"]
    );
    assert_eq!(slice(src, &f.unresolved[0].span), "GARBLED stuff");
}

fn tables_name(t: &TableName) -> String {
    match &t.schema {
        Some(s) => format!("{s}.{}", t.name),
        None => t.name.clone(),
    }
}

#[test]
fn execute_inside_conditionals_and_helpers() {
    let src = r##"defmodule M do
  use Ecto.Migration

  def change do
    if repo().__adapter__() == Ecto.Adapters.Postgres do
      execute "CREATE TABLE pg_only (id int)", "DROP TABLE pg_only"
    end

    for name <- ["one", "two"] do
      execute "CREATE TABLE #{name} (id int)"
    end

    create_view()
  end

  defp create_view do
    execute """
    CREATE TABLE IF NOT EXISTS helper_made (id int)
    """
  end
end
"##;
    let f = facts_with_sql(src);
    let rows: Vec<(String, bool, Direction)> = f
        .ops
        .iter()
        .map(|o| (table_of(&o.kind).name.clone(), o.conditional, o.direction))
        .collect();
    let c = Direction::Change;
    assert_eq!(
        rows,
        [
            ("pg_only".to_string(), true, c),
            ("one".to_string(), false, c),
            ("two".to_string(), false, c),
            ("helper_made".to_string(), false, c),
        ]
    );
    assert_eq!(
        f.ops[0].source,
        OpSource::RawSql {
            guarded: false,
            with_down: true
        }
    );
    // Inside a loop the interpolated name maps to the interpolation.
    assert_eq!(slice(src, &table_of(&f.ops[1].kind).span), "#{name}");
    assert!(f.unresolved.is_empty(), "{:?}", f.unresolved);
}

/// A migration in the shape of real projects: a schema prefix in an
/// attribute, DSL tables and indexes, and SQL in heredocs for what the DSL
/// cannot say.
const REALISTIC: &str = r##"defmodule Platform.Repo.Migrations.CreateTelemetry do
  @moduledoc """
  Telemetry tables: devices, their metrics, and a hypertable.
  """
  use Ecto.Migration

  @prefix "platform"
  @retention_days 30

  def up do
    execute "CREATE SCHEMA IF NOT EXISTS #{@prefix}"

    create_if_not_exists table(:devices, primary_key: false, prefix: @prefix) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :hostname, :string, null: false
      add :ip, :inet
      add :tags, {:array, :string}, default: []
      add :metadata, :map, default: %{}
      add :org_id, references(:orgs, type: :uuid, on_delete: :delete_all), null: false

      timestamps(type: :utc_datetime_usec)
    end

    create_if_not_exists unique_index(:devices, [:org_id, :hostname], prefix: @prefix)

    execute """
    CREATE TABLE IF NOT EXISTS #{@prefix}.device_metrics (
      device_id uuid NOT NULL,
      at timestamptz NOT NULL,
      value double precision
    );
    """

    execute "SELECT create_hypertable('#{@prefix}.device_metrics', 'at', if_not_exists => TRUE)"

    alter table(:devices, prefix: @prefix) do
      add_if_not_exists :last_seen_at, :utc_datetime_usec
    end

    flush()
  end

  def down do
    execute "DROP TABLE IF EXISTS #{@prefix}.device_metrics"
    drop_if_exists table(:devices, prefix: @prefix)
  end
end
"##;

#[test]
fn realistic_migration_with_stand_in_sql() {
    let f = facts_with_sql(REALISTIC);
    assert_eq!(
        f.module.as_deref(),
        Some("Platform.Repo.Migrations.CreateTelemetry")
    );
    let summary: Vec<(String, Direction, &str)> = f
        .ops
        .iter()
        .map(|o| {
            let what = match &o.kind {
                OpKind::CreateTable { .. } => "create table",
                OpKind::CreateIndex { .. } => "create index",
                OpKind::AddColumn { .. } => "add column",
                OpKind::DropTable { .. } => "drop table",
                _ => "other",
            };
            (tables_name(table_of(&o.kind)), o.direction, what)
        })
        .collect();
    let up = Direction::Up;
    assert_eq!(
        summary,
        [
            ("platform.devices".to_string(), up, "create table"),
            ("platform.devices".to_string(), up, "create index"),
            ("platform.device_metrics".to_string(), up, "create table"),
            ("platform.devices".to_string(), up, "add column"),
            (
                "platform.devices".to_string(),
                Direction::Down,
                "drop table"
            ),
        ]
    );
    let devices = created_columns(&f.ops[0]);
    let names: Vec<&str> = devices.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "id",
            "hostname",
            "ip",
            "tags",
            "metadata",
            "org_id",
            "inserted_at",
            "updated_at"
        ]
    );
    let id = column(devices, "id");
    assert_eq!(id.default.as_deref(), Some("gen_random_uuid()"));
    assert!(id.primary_key && !id.implicit);
    let org = column(devices, "org_id");
    let fk = org.references.as_ref().expect("fk");
    assert_eq!(fk.table.schema.as_deref(), Some("platform"));
    assert_eq!(org.pg_type.as_deref(), Some("uuid"));
    assert_eq!(index_of(&f.ops[1]).name, "devices_org_id_hostname_index");
    assert!(index_of(&f.ops[1]).unique);
    let metrics = table_of(&f.ops[2].kind);
    assert_eq!(slice(REALISTIC, &metrics.span), "#{@prefix}.device_metrics");
    assert!(slice(REALISTIC, &f.ops[2].span)
        .starts_with("CREATE TABLE IF NOT EXISTS #{@prefix}.device_metrics ("));
    assert!(slice(REALISTIC, &f.ops[2].span).ends_with("value double precision\n    )"));
    assert!(f.unresolved.is_empty(), "{:?}", f.unresolved);
}

#[test]
fn realistic_migration_with_sql_reader() {
    let f = facts(REALISTIC);
    let created: Vec<String> = f
        .ops
        .iter()
        .filter(|o| matches!(o.kind, OpKind::CreateTable { .. }))
        .map(|o| tables_name(table_of(&o.kind)))
        .collect();
    assert_eq!(created, ["platform.devices", "platform.device_metrics"]);
    let metrics = f
        .ops
        .iter()
        .find(|o| matches!(&o.kind, OpKind::CreateTable { table, .. } if table.name == "device_metrics"))
        .expect("device_metrics");
    assert_eq!(
        metrics.source,
        OpSource::RawSql {
            guarded: false,
            with_down: false
        }
    );
    assert!(matches!(
        metrics.kind,
        OpKind::CreateTable {
            if_not_exists: true,
            ..
        }
    ));
    assert!(slice(REALISTIC, &metrics.span)
        .starts_with("CREATE TABLE IF NOT EXISTS #{@prefix}.device_metrics"));
    assert!(slice(REALISTIC, &table_of(&metrics.kind).span).ends_with("device_metrics"));
    for c in created_columns(metrics) {
        assert_eq!(slice(REALISTIC, &c.name_span), c.name);
    }
}

#[test]
fn execute_spans_with_sql_reader() {
    // Every span the real reader reports maps back onto the same text in the
    // file when the SQL is a plain string.
    let src = change(
        r##"    execute """
    CREATE TABLE IF NOT EXISTS public.audit_events (
      id bigserial PRIMARY KEY,
      actor text NOT NULL
    );
    CREATE INDEX IF NOT EXISTS audit_events_actor_idx ON public.audit_events (actor);
    """, "DROP TABLE public.audit_events""##,
    );
    let f = facts(&src);
    assert!(f.ops.len() >= 2, "{:?}", f.ops);
    for op in &f.ops {
        assert_eq!(
            op.source,
            OpSource::RawSql {
                guarded: false,
                with_down: true
            }
        );
        assert_eq!(op.direction, Direction::Change);
        assert_eq!(slice(&src, &op.verb_span), "execute");
    }
    let OpKind::CreateTable { table, columns, .. } = &f.ops[0].kind else {
        panic!("{:?}", f.ops[0].kind);
    };
    assert_eq!(table.name, "audit_events");
    assert_eq!(table.schema.as_deref(), Some("public"));
    assert!(slice(&src, &table.span).ends_with("audit_events"));
    let names: Vec<&str> = columns.iter().map(|c| slice(&src, &c.name_span)).collect();
    assert_eq!(names, ["id", "actor"]);
}

#[test]
fn guarded_do_block_with_sql_reader() {
    let src = change(
        r##"    execute """
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'orders_total_check') THEN
        ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);
      END IF;
    END
    $$;
    """"##,
    );
    let f = facts(&src);
    let op = f
        .ops
        .iter()
        .find(|o| matches!(o.kind, OpKind::CreateConstraint { .. }))
        .expect("constraint");
    assert_eq!(
        op.source,
        OpSource::RawSql {
            guarded: true,
            with_down: false
        }
    );
    assert_eq!(slice(&src, &table_of(&op.kind).span), "orders");
}

#[test]
fn several_modules_in_one_file() {
    let src = r##"defmodule Helpers do
  def x, do: 1
end

defmodule A.Migrations.One do
  use Ecto.Migration
  def change, do: create(table(:one))
end

defmodule A.Migrations.Two do
  use Ecto.Migration
  def change, do: create(table(:two))
end
"##;
    let f = facts(src);
    assert_eq!(f.module.as_deref(), Some("A.Migrations.One"));
    assert!(f.uses_ecto_migration);
    assert_eq!(tables(&f), ["one"]);
    assert_eq!(f.unresolved.len(), 1);
    assert_eq!(slice(src, &f.unresolved[0].span), "A.Migrations.Two");
    assert!(f.unresolved[0].message.contains("A.Migrations.Two"));
}

#[test]
fn not_a_migration() {
    let src = r##"defmodule MyApp.Accounts.User do
  use Ecto.Schema

  schema "users" do
    field :email, :string
  end

  def create(attrs), do: attrs
end
"##;
    let f = facts(src);
    assert_eq!(f.module.as_deref(), Some("MyApp.Accounts.User"));
    assert!(!f.uses_ecto_migration);
    assert!(f.functions.is_empty());
    assert!(f.ops.is_empty());

    // A custom base module: not `use Ecto.Migration`, but the ops are read.
    let src = "defmodule M do\n  use MyApp.Migration\n  def change do\n    create table(:x)\n  end\nend\n";
    let f = facts(src);
    assert!(!f.uses_ecto_migration);
    assert_eq!(tables(&f), ["x"]);
}

#[test]
fn bad_input_does_not_panic() {
    let inputs = [
        "",
        "defmodule",
        "defmodule M do",
        "\0\u{1}\u{7f}\u{fffd}ÿþ binary-ish \x1b[0m",
        "defmodule M do use Ecto.Migration def change do create table(:x do add :a end end",
        "defmodule M do\n  use Ecto.Migration\n  def change do\n    create table() do\n add\n end\n execute\n execute(\"\")\n drop\n rename\n create index()\n create constraint(:t)\n alter table(:t)\n  end\nend\n",
        "defmodule 🦀 do use Ecto.Migration; def change, do: create(table(:\"ünï\")) end",
        "defmodule M do\n  def change do\n    execute \"CREATE TABLE é (x int)\"\n  end\nend",
    ];
    for input in inputs {
        let _ = facts(input);
        let _ = facts_with_sql(input);
    }
}

#[test]
fn every_prefix_of_a_migration_is_safe() {
    let mut end = 0;
    while end <= REALISTIC.len() {
        if REALISTIC.is_char_boundary(end) {
            let partial = &REALISTIC[..end];
            let f = facts_with_sql(partial);
            for op in &f.ops {
                assert!(partial.get(op.span.clone()).is_some());
                assert!(partial.get(op.verb_span.clone()).is_some());
            }
        }
        end += 7;
    }
}

#[test]
fn deep_recursion_and_fan_out_are_bounded() {
    let mut src = String::from("defmodule M do\n  use Ecto.Migration\n  def change do\n");
    src.push_str(&"if x do\n".repeat(200));
    src.push_str("create table(:deep)\n");
    src.push_str(&"end\n".repeat(200));
    src.push_str("    a0()\n  end\n");
    // Each helper calls the next one twice: 2^20 walks without a budget.
    for i in 0..20 {
        src.push_str(&format!(
            "  defp a{i} do\n    a{n}()\n    a{n}()\n  end\n",
            n = i + 1
        ));
    }
    src.push_str("  defp a20, do: create(table(:leaf))\nend\n");
    let f = facts(&src);
    assert!(f
        .unresolved
        .iter()
        .any(|u| u.message == "statements nested this deeply are not followed"));
    assert!(f
        .unresolved
        .iter()
        .any(|u| u.message == "too many helper calls to follow in one migration"));
    assert!(f.ops.len() <= MAX_FOLLOWS);
}

#[test]
fn query_compiles_and_captures() {
    let query = migration_query().expect("queries/migration.scm compiles");
    let src = r##"defmodule M do
  use Ecto.Migration
  use Other.Thing, opt: 1
  def change do
  end
  def up, do: :ok
  def down() do
  end
  defp helper(a, b \\ 1) when is_atom(a), do: a
  defp other(x), do: x
  x = def_like(1)
end
"##;
    let tree = elixir::parse(src).expect("parse");
    let names = query.capture_names();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(query, tree.root_node(), src.as_bytes());
    let mut captured = Vec::new();
    while let Some(m) = matches.next() {
        for c in m.captures {
            let name = names.get(c.index as usize).copied().unwrap_or("?");
            if name.ends_with(".module") || name.ends_with(".name") || name.ends_with(".kind") {
                captured.push(format!("{name}={}", text(c.node, src)));
            }
        }
    }
    assert_eq!(
        captured,
        [
            "migration.use.module=Ecto.Migration",
            "migration.use.module=Other.Thing",
            "migration.function.kind=def",
            "migration.function.name=change",
            "migration.function.kind=def",
            "migration.function.name=up",
            "migration.function.kind=def",
            "migration.function.name=down",
            "migration.function.kind=defp",
            "migration.function.name=helper",
            "migration.function.kind=defp",
            "migration.function.name=other",
        ]
    );
    let f = facts(src);
    let functions: Vec<&str> = f.functions.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(functions, ["change", "up", "down"]);
}

#[test]
fn less_common_forms() {
    let src = r##"defmodule MyApp.Repo.Migrations.Misc do
  use Ecto.Migration

  @size 120
  @create_sql "CREATE TABLE " <> "#{@size}_things (id int)"
  @tables [:alpha, :beta]

  def change do
    rename index(:people, [:name], name: "persons_name_index"), to: "people_name_index"
    create table(:labels, prefix: nil) do
      add :title, :string, size: @size
    end
    execute "CREATE TABLE #{prefix()}.things (id int)"
    execute @create_sql
    for t <- @tables, do: create(index(t, [:id]))
  end
end
"##;
    let mut f = facts_with_sql(src);
    assert_eq!(
        f.ops.remove(0).kind,
        OpKind::RenameIndex {
            schema: None,
            from: "persons_name_index".into(),
            to: "people_name_index".into(),
            if_exists: false,
        }
    );
    assert_eq!(tables(&f), ["labels", "120_things", "alpha", "beta"]);
    let labels = created_columns(&f.ops[0]);
    assert_eq!(
        column(labels, "title").pg_type.as_deref(),
        Some("varchar(120)")
    );
    // The statement is built from two strings in an attribute and an
    // interpolated attribute: its name maps to the interpolation onwards.
    assert_eq!(
        slice(src, &table_of(&f.ops[1].kind).span),
        "#{@size}_things"
    );
    assert_eq!(
        messages(&f),
        [
            "the SQL given to `execute` is not read: the interpolation `#{prefix()}` is not a literal",
        ]
    );
}

#[test]
fn nested_migration_module() {
    let src = "defmodule Outer do\n  defmodule Migrations.AddX do\n    use Ecto.Migration\n    def change, do: alter(table(:t), do: add(:x, :text))\n  end\nend\n";
    let f = facts(src);
    assert_eq!(f.module.as_deref(), Some("Outer.Migrations.AddX"));
    assert!(f.uses_ecto_migration);
    assert!(matches!(
        &f.ops[..],
        [MigrationOp { kind: OpKind::AddColumn { column, .. }, direction: Direction::Change, .. }]
            if column.name == "x" && column.pg_type.as_deref() == Some("text")
    ));
}

#[test]
fn literal_sql_through_query_is_read_like_execute() {
    let src = r##"defmodule MyApp.Repo.Migrations.SeedCountries do
  use Ecto.Migration

  alias MyApp.Repo

  def up do
    create table(:countries, primary_key: false) do
      add :code, :string, size: 2, primary_key: true
    end

    flush()

    Ecto.Adapters.SQL.query!(Repo, "INSERT INTO countries (code) VALUES ($1), ($2)", ["DE", "FR"])
    repo().query!("CREATE TABLE country_names (code text)")
  end

  def down do
    drop table(:countries)
  end
end
"##;
    let f = facts_with_sql(src);
    assert!(f.unresolved.is_empty(), "{:?}", messages(&f));
    let tables: Vec<(&str, &OpSource)> = f
        .ops
        .iter()
        .filter(|op| op.direction == Direction::Up)
        .map(|op| (table_of(&op.kind).name.as_str(), &op.source))
        .collect();
    assert_eq!(
        tables,
        [
            ("countries", &OpSource::Dsl),
            (
                "country_names",
                &OpSource::RawSql {
                    guarded: false,
                    with_down: false
                }
            ),
        ]
    );
    assert_eq!(slice(src, &table_of(&f.ops[1].kind).span), "country_names");
}

#[test]
fn schema_changes_in_other_modules_are_unresolved_once() {
    let src = r##"defmodule MyApp.Repo.Migrations.AddJobsAndStatus do
  use Ecto.Migration

  import Timescale.Migration
  alias MyApp.Repo

  defmodule StatusEnum do
    use EctoEnum.Postgres, type: :job_status, enums: [:queued, :done]
  end

  def up do
    Oban.Migrations.up(version: 12)
    StatusEnum.create_type()

    create table(:readings, primary_key: false) do
      add :at, :utc_datetime_usec, null: false
      add :status, StatusEnum.type(), null: false
    end

    create_hypertable(:readings, :at)

    flush()

    require Logger
    Logger.info("backfilling")
    {:ok, _} = Application.ensure_all_started(:telemetry)
    {count, nil} = Repo.update_all("readings", set: [status: "done"])
    MyApp.Readings.recalculate_totals(count)
    MyApp.Accounts.create_default_org()
    add_default_plans(count)
    MyApp.MigrationHelpers.create_audit_trigger(:readings)
  end

  def down do
    drop table(:readings)
    StatusEnum.drop_type()
    Oban.Migrations.down(version: 1)
  end
end
"##;
    let f = facts(src);
    assert_eq!(
        messages(&f),
        [
            "`Oban.Migrations.up(version: 12)` runs schema changes in another module, which is not read; what it creates is not in the model",
            "`StatusEnum.create_type()` runs schema changes in another module, which is not read; what it creates is not in the model",
            "`create_hypertable(:readings, :at)` is not an Ecto.Migration function: it comes from an imported module, which is not read; what it changes is not in the model",
            "`MyApp.MigrationHelpers.create_audit_trigger(:readings)` runs schema changes in another module, which is not read; what it creates is not in the model",
        ]
    );
    assert_eq!(
        slice(src, &f.unresolved[0].span),
        "Oban.Migrations.up(version: 12)"
    );
    // The table itself is still read; the type written as a call is unknown.
    let OpKind::CreateTable { columns, .. } = &f.ops[0].kind else {
        panic!("{:?}", f.ops);
    };
    assert_eq!(columns[1].name, "status");
    assert_eq!(columns[1].pg_type, None);
}

#[test]
fn one_line_callback_calling_a_library() {
    let src = "defmodule MyApp.Repo.Migrations.AddObanJobsTable do\n  use Ecto.Migration\n\n  def up, do: Oban.Migration.up()\n  def down, do: Oban.Migration.down(version: 1)\nend\n";
    let f = facts(src);
    assert_eq!(f.unresolved.len(), 1, "{:?}", messages(&f));
    assert_eq!(slice(src, &f.unresolved[0].span), "Oban.Migration.up()");
}

#[test]
fn run_time_values_in_data_statements_do_not_hide_the_ddl_around_them() {
    let src = r##"defmodule MyApp.Repo.Migrations.HashKeys do
  use Ecto.Migration

  def up do
    secret = Application.get_env(:my_app, :secret)

    execute("""
      ALTER TABLE keys
        ADD COLUMN secret_first text,
        ADD COLUMN secret_second text
    """)

    execute("""
      UPDATE keys
        SET secret_first = encode(hmac(secret, '#{secret}', 'sha256'), 'hex');
      ALTER TABLE keys DROP COLUMN secret
    """)

    execute "CREATE TABLE #{table_for(secret)} (id bigint)"
  end

  def down do
    raise "irreversible"
  end
end
"##;
    let f = facts(src);
    let kinds: Vec<String> = f
        .ops
        .iter()
        .map(|op| match &op.kind {
            OpKind::AddColumn { column, .. } => format!("add {}", column.name),
            OpKind::RemoveColumn { column, .. } => format!("remove {column}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        ["add secret_first", "add secret_second", "remove secret"]
    );
    // The UPDATE holds the run-time value and changes no schema: nothing to
    // report. The CREATE TABLE's name is the run-time value: reported.
    assert_eq!(
        messages(&f),
        ["the SQL given to `execute` is not read: the interpolation `#{table_for(secret)}` is not a literal"]
    );
    assert_eq!(
        slice(src, &f.unresolved[0].span),
        r##"execute "CREATE TABLE #{table_for(secret)} (id bigint)""##
    );
}

#[test]
fn fully_qualified_dsl_calls_are_the_dsl() {
    let src = change(
        "    Ecto.Migration.create table(:posts) do\n      add :title, :text\n    end\n    Ecto.Migration.execute(\"CREATE INDEX posts_title_idx ON posts (title)\")",
    );
    let f = facts(&src);
    assert!(f.unresolved.is_empty(), "{:?}", messages(&f));
    assert_eq!(tables(&f), ["posts", "posts"]);
}

mod reuse {
    use super::*;
    use std::path::Path;

    fn migrations_in(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                migrations_in(&path, out);
            } else if path.extension().is_some_and(|e| e == "exs")
                && path.to_string_lossy().contains("migrations")
            {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.push(text);
                }
            }
        }
    }

    /// Extract `after` reusing the statements of `before`, and check the
    /// facts equal a fresh extraction; the number of statements reused.
    fn reused(before: &str, after: &str) -> usize {
        let old_tree = elixir::parse(before).expect("parse");
        let (first, cache) = extract_reusing(before, &old_tree, None);
        assert_eq!(first, extract(before, &old_tree), "{before}");
        let tree = elixir::parse(after).expect("parse");
        let (facts, next) = extract_reusing(after, &tree, Some(&cache));
        assert_eq!(
            facts,
            extract(after, &tree),
            "reused facts differ for:\n{after}"
        );
        next.walked
            .values()
            .flatten()
            .filter(|(d, c, w)| {
                cache
                    .get_walked(w)
                    .is_some_and(|(d0, c0)| d0 == *d && c0 == *c)
            })
            .count()
    }

    impl StatementCache {
        /// Where `walked` (the same allocation) sits in this cache.
        fn get_walked(&self, walked: &Arc<Walked>) -> Option<(Direction, bool)> {
            self.walked
                .values()
                .flatten()
                .find(|(_, _, w)| Arc::ptr_eq(w, walked))
                .map(|(d, c, _)| (*d, *c))
        }
    }

    /// Every fixture and demo migration, edited at many places (a character
    /// typed, one deleted, a line added): reusing statements gives exactly
    /// the facts of a fresh extraction.
    #[test]
    fn edits_anywhere_in_real_migrations_give_the_fresh_facts() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        migrations_in(&root.join("tests/fixtures"), &mut files);
        migrations_in(&root.join("examples/demo"), &mut files);
        assert!(files.len() > 20, "{} migrations", files.len());
        let mut total_reused = 0;
        for text in &files {
            let bounds: Vec<usize> = (0..=text.len())
                .filter(|i| text.is_char_boundary(*i))
                .collect();
            let step = (bounds.len() / 12).max(1);
            for at in bounds.iter().step_by(step) {
                let (head, tail) = text.split_at(*at);
                total_reused += reused(text, &format!("{head}x{tail}"));
                total_reused += reused(text, &format!("{head}\n    # a note\n{tail}"));
                if let Some(c) = tail.chars().next() {
                    reused(text, &format!("{head}{}", &tail[c.len_utf8()..]));
                }
            }
        }
        assert!(total_reused > 1000, "only {total_reused} statements reused");
    }

    #[test]
    fn an_edit_walks_only_the_statements_whose_text_changed() {
        let before = change(
            "    create table(:a) do\n      add :x, :text\n    end\n    create index(:a, [:x])\n    execute \"CREATE INDEX b_y ON b (y)\"\n    alter table(:c) do\n      add :z, :text\n    end",
        );
        let after = before.replace("[:x]", "[:xy]");
        assert_eq!(reused(&before, &after), 3);
        // Module attribute values are part of what is reused: the same
        // statements under another `@prefix` are walked again.
        let with_prefix = before
            .replace(
                "use Ecto.Migration\n",
                "use Ecto.Migration\n  @prefix \"p\"\n",
            )
            .replace(
                "create index(:a, [:x])",
                "create index(:a, [:x], prefix: @prefix)",
            )
            .replace("ON b (y)", "ON #{@prefix}.b (y)");
        assert_ne!(with_prefix, before);
        assert_eq!(
            reused(&with_prefix, &with_prefix.replace("[:x]", "[:xy]")),
            3
        );
        assert_eq!(
            reused(
                &with_prefix,
                &with_prefix.replace("@prefix \"p\"", "@prefix \"q\"")
            ),
            2
        );
        // Moved down by a line, all four are reused.
        let moved = before.replace("def change do\n", "def change do\n    # first\n");
        assert_ne!(moved, before);
        assert_eq!(reused(&before, &moved), 4);
    }

    /// Statements that read what surrounds them are walked again: a
    /// variable, a module attribute, a local function (called, or a name
    /// that is not one yet), and the binding that later statements read.
    #[test]
    fn statements_that_read_their_surroundings_are_walked_again() {
        let src = "defmodule M do\n  use Ecto.Migration\n  @t \"attr_table\"\n\n  def change do\n    name = \"var_table\"\n    create table(name) do\n      add :a, :text\n    end\n    create table(@t) do\n      add :b, :text\n    end\n    helper()\n    other()\n  end\n\n  defp helper do\n    create table(:helper_table) do\n      add :c, :text\n    end\n  end\nend\n";
        let edits = [
            src.replace("\"var_table\"", "\"var_table2\""),
            src.replace("@t \"attr_table\"", "@t \"attr_table2\""),
            src.replace("helper_table", "helper_table2"),
            src.replace(
                "  defp helper do",
                "  defp other do\n    create table(:other_table) do\n      add :d, :text\n    end\n  end\n\n  defp helper do",
            ),
        ];
        for after in &edits {
            reused(src, after);
        }
        let after = &edits[3];
        let tree = elixir::parse(after).expect("parse");
        assert!(tables(&extract(after, &tree)).contains(&"other_table".to_string()));
    }
}
