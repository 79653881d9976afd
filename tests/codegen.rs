//! The codegen rules (`snapshots-untracked`, `codegen-would-recreate`,
//! `stale-snapshot`) under each convention and in a schema-per-tenant
//! project: a fixture that fires each, one that must not, one where a
//! suppression comment silences it. Snapshots are written the way
//! AshPostgres writes them (sorted keys, `"nil"` defaults, typed identity
//! keys), built by [`snapshot`].

mod support;

use serde_json::{json, Value};
use support::index;

/// An Ash app whose migrations `mix ash.codegen` wrote: two resources, a
/// belongs_to, an identity, an atom default, an array.
const LIBRARY: &str = r#"
//- /mix.exs
defmodule Library.MixProject do
  use Mix.Project
end
//- /lib/library/repo.ex
defmodule Library.Repo do
  use AshPostgres.Repo, otp_app: :library
end
//- /lib/library/catalog/author.ex
defmodule Library.Catalog.Author do
  use Ash.Resource, domain: Library.Catalog, data_layer: AshPostgres.DataLayer

  postgres do
    table "authors"
    repo Library.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :name, :string, allow_nil?: false, public?: true
    attribute :bio, :map
    create_timestamp :inserted_at
    update_timestamp :updated_at
  end
end
//- /lib/library/catalog/book.ex
defmodule Library.Catalog.Book do
  use Ash.Resource, domain: Library.Catalog, data_layer: AshPostgres.DataLayer

  postgres do
    table "books"
    repo Library.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :title, :string, allow_nil?: false, public?: true
    attribute :isbn, :string, allow_nil?: false
    attribute :status, :atom, default: :available, allow_nil?: false
    attribute :tags, {:array, :string}, default: []
    attribute :page_count, :integer
    create_timestamp :inserted_at
    update_timestamp :updated_at
  end

  relationships do
    belongs_to :author, Library.Catalog.Author, allow_nil?: false
  end

  identities do
    identity :unique_isbn, [:isbn]
  end
end
//- /priv/repo/migrations/20240105093000_migrate_resources1.exs
defmodule Library.Repo.Migrations.MigrateResources1 do
  use Ecto.Migration

  def up do
    create table(:authors, primary_key: false) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :name, :text, null: false
      add :bio, :map
      add :inserted_at, :utc_datetime_usec, null: false, default: fragment("(now() AT TIME ZONE 'utc')")
      add :updated_at, :utc_datetime_usec, null: false, default: fragment("(now() AT TIME ZONE 'utc')")
    end

    create table(:books, primary_key: false) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :title, :text, null: false
      add :isbn, :text, null: false
      add :status, :text, null: false, default: "available"
      add :tags, {:array, :text}, default: []
      add :page_count, :bigint
      add :inserted_at, :utc_datetime_usec, null: false, default: fragment("(now() AT TIME ZONE 'utc')")
      add :updated_at, :utc_datetime_usec, null: false, default: fragment("(now() AT TIME ZONE 'utc')")

      add :author_id,
          references(:authors, column: :id, name: "books_author_id_fkey", type: :uuid, prefix: "public"),
          null: false
    end

    create unique_index(:books, [:isbn], name: "books_unique_isbn_index")
  end

  def down do
    drop_if_exists unique_index(:books, [:isbn], name: "books_unique_isbn_index")
    drop constraint(:books, "books_author_id_fkey")
    drop table(:books)
    drop table(:authors)
  end
end
"#;

const NOW: &str = "fragment(\"(now() AT TIME ZONE 'utc')\")";
const UUID: &str = "fragment(\"gen_random_uuid()\")";

/// One attribute of a snapshot, as the generator writes it.
fn attr(source: &str, ty: Value, allow_nil: bool, default: &str) -> Value {
    json!({
        "allow_nil?": allow_nil,
        "default": default,
        "generated?": false,
        "precision": null,
        "primary_key?": source == "id",
        "references": null,
        "scale": null,
        "size": null,
        "source": source,
        "type": ty,
    })
}

fn with_reference(mut attribute: Value, table: &str, name: &str) -> Value {
    attribute["references"] = json!({
        "deferrable": false,
        "destination_attribute": "id",
        "destination_attribute_default": null,
        "destination_attribute_generated": null,
        "index?": false,
        "match_type": null,
        "match_with": null,
        "multitenancy": {"attribute": null, "global": null, "strategy": null},
        "name": name,
        "on_delete": null,
        "on_update": null,
        "primary_key?": true,
        "schema": "public",
        "table": table,
    });
    attribute
}

/// A table snapshot with sorted keys, as `Jason.encode!(pretty: true)` of
/// an ordered object writes it.
fn snapshot(
    table: &str,
    strategy: Option<&str>,
    attributes: Vec<Value>,
    identities: &[(&str, &[&str])],
) -> String {
    let identities: Vec<Value> = identities
        .iter()
        .map(|(name, keys)| {
            json!({
                "all_tenants?": false,
                "base_filter": null,
                "index_name": format!("{table}_{name}_index"),
                "keys": keys.iter().map(|k| json!({"type": "atom", "value": k})).collect::<Vec<_>>(),
                "name": name,
                "nils_distinct?": true,
                "where": null,
            })
        })
        .collect();
    let doc = json!({
        "attributes": attributes,
        "base_filter": null,
        "check_constraints": [],
        "custom_indexes": [],
        "custom_statements": [],
        "has_create_action": true,
        "hash": "8D1C3A5F7E9B0D2C4E6A8B0C2D4E6F8091A3B5C7D9E1F3A5B7C9D1E3F5A7B9C1",
        "identities": identities,
        "multitenancy": {"attribute": null, "global": strategy.map(|_| false), "strategy": strategy},
        "repo": "Elixir.Library.Repo",
        "schema": null,
        "table": table,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn authors_snapshot() -> String {
    snapshot(
        "authors",
        None,
        vec![
            attr("id", json!("uuid"), false, UUID),
            attr("name", json!("text"), false, "nil"),
            attr("bio", json!("map"), true, "nil"),
            attr("inserted_at", json!("utc_datetime_usec"), false, NOW),
            attr("updated_at", json!("utc_datetime_usec"), false, NOW),
        ],
        &[],
    )
}

fn books_attributes() -> Vec<Value> {
    vec![
        attr("id", json!("uuid"), false, UUID),
        attr("title", json!("text"), false, "nil"),
        attr("isbn", json!("text"), false, "nil"),
        attr("status", json!("text"), false, "\"available\""),
        attr("tags", json!(["array", "text"]), true, "[]"),
        attr("page_count", json!("bigint"), true, "nil"),
        attr("inserted_at", json!("utc_datetime_usec"), false, NOW),
        attr("updated_at", json!("utc_datetime_usec"), false, NOW),
        with_reference(
            attr("author_id", json!("uuid"), false, "nil"),
            "authors",
            "books_author_id_fkey",
        ),
    ]
}

fn books_snapshot() -> String {
    snapshot(
        "books",
        None,
        books_attributes(),
        &[("unique_isbn", &["isbn"])],
    )
}

const GIT: &str = "//- /.git/HEAD\nref: refs/heads/main\n";

fn cat(parts: &[&str]) -> String {
    parts.concat()
}

fn file(path: &str, text: &str) -> String {
    format!("//- /{path}\n{text}\n")
}

/// The library with tracked snapshots of both tables, in a git repository.
fn tracked(books: &str) -> String {
    cat(&[
        LIBRARY,
        GIT,
        &file(
            "priv/resource_snapshots/repo/authors/20240105093000.json",
            &authors_snapshot(),
        ),
        &file(
            "priv/resource_snapshots/repo/books/20240105093000.json",
            books,
        ),
        &file(
            "priv/resource_snapshots/repo/extensions.json",
            "{\"installed\": [\"ash-functions\"]}",
        ),
    ])
}

fn config(convention: &str) -> String {
    file(
        ".ecto-ash-lsp.toml",
        &format!("convention = \"{convention}\""),
    )
}

fn ignoring(pattern_line: &str) -> String {
    file(
        ".gitignore",
        &format!("/_build/\n/deps/\n*.ez\n\n{pattern_line}\n"),
    )
}

fn codegen_codes(ix: &support::Indexed) -> Vec<String> {
    [
        "snapshots-untracked",
        "codegen-would-recreate",
        "stale-snapshot",
    ]
    .iter()
    .flat_map(|c| ix.of(c))
    .collect()
}

// A fresh checkout with snapshots that match: nothing to say.

#[test]
fn matching_snapshots_are_quiet() {
    let ix = index(&tracked(&books_snapshot()));
    assert_eq!(codegen_codes(&ix), Vec::<String>::new());
    assert!(
        ix.of("parse-error").is_empty(),
        "{:?}",
        ix.of("parse-error")
    );
    // Under the codegen stance (tracked snapshots), idempotency is off.
    assert!(ix.of("non-idempotent-statement").is_empty());
}

// snapshots-untracked

#[test]
fn snapshots_untracked_fires_at_the_ignoring_line() {
    let ix = index(&cat(&[LIBRARY, GIT, &ignoring("priv/resource_snapshots/")]));
    assert_eq!(
        ix.of("snapshots-untracked"),
        [".gitignore:5: `priv/resource_snapshots` is ignored by git (`priv/resource_snapshots/` at .gitignore:5) while 1 migration exists, so the next `mix ash.codegen` sees no snapshots and emits a migration that creates every table again, which fails with 42P07 on a migrated database"
]
    );
    assert_eq!(
        ix.text_at("snapshots-untracked").as_deref(),
        Some("priv/resource_snapshots/")
    );
}

#[test]
fn snapshots_untracked_when_local_snapshots_are_ignored() {
    let fixture = cat(&[
        LIBRARY,
        GIT,
        &ignoring("/priv/resource_snapshots"),
        &file(
            "priv/resource_snapshots/repo/authors/20240105093000.json",
            &authors_snapshot(),
        ),
    ]);
    let ix = index(&fixture);
    let found = ix.of("snapshots-untracked");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].ends_with("; the 1 snapshot file here is local only"),
        "{found:?}"
    );
    // Local-only snapshots do not cover anything: both tables would be created again.
    assert_eq!(ix.of("codegen-would-recreate").len(), 2);
    // Nor are they compared: stale-snapshot is off in the seed state.
    assert!(ix.of("stale-snapshot").is_empty());
}

#[test]
fn snapshots_untracked_fires_at_the_repo_when_absent() {
    let ix = index(&cat(&[LIBRARY, GIT]));
    assert_eq!(
        ix.of("snapshots-untracked"),
        ["lib/library/repo.ex:2: `priv/resource_snapshots` is absent while 1 migration exists, so the next `mix ash.codegen` sees no snapshots and emits a migration that creates every table again, which fails with 42P07 on a migrated database"]
    );
}

#[test]
fn snapshots_untracked_outside_git_counts_only_absence() {
    let ix = index(&cat(&[LIBRARY, &ignoring("priv/resource_snapshots/")]));
    let found = ix.of("snapshots-untracked");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with(".gitignore:5: `priv/resource_snapshots` is absent"),
        "{found:?}"
    );
    assert!(
        found[0].ends_with("(not a git repository, so only the folder's absence is checked); `priv/resource_snapshots/` at .gitignore:5 would also keep it out of git"),
        "{found:?}"
    );
    // Present snapshots outside git count as tracked, whatever .gitignore says.
    let mut present = tracked(&books_snapshot()).replace(GIT, "");
    present.push_str(&ignoring("priv/resource_snapshots/"));
    assert!(index(&present).of("snapshots-untracked").is_empty());
}

#[test]
fn snapshots_untracked_not_when_tracked_or_nothing_to_collide_with() {
    assert!(index(&tracked(&books_snapshot()))
        .of("snapshots-untracked")
        .is_empty());
    // Negated in a deeper .gitignore: tracked after all.
    let fixture = cat(&[
        &tracked(&books_snapshot()),
        &ignoring("priv/resource_snapshots/"),
        &file("priv/.gitignore", "!resource_snapshots/"),
    ]);
    assert!(index(&fixture).of("snapshots-untracked").is_empty());
    // No migrations yet: the first codegen run is right to create everything.
    let no_migrations = LIBRARY
        .split("//- /priv/repo/migrations")
        .next()
        .unwrap_or_default()
        .to_string();
    let ix = index(&cat(&[
        &no_migrations,
        GIT,
        &ignoring("priv/resource_snapshots/"),
    ]));
    assert!(ix.of("snapshots-untracked").is_empty());
    // An Ecto-only project has nothing codegen manages.
    let ecto = r#"
//- /mix.exs
defmodule Blog.MixProject do
  use Mix.Project
end
//- /lib/blog/repo.ex
defmodule Blog.Repo do
  use Ecto.Repo, otp_app: :blog, adapter: Ecto.Adapters.Postgres
end
//- /lib/blog/post.ex
defmodule Blog.Post do
  use Ecto.Schema
  schema "posts" do
    field :title, :string
  end
end
//- /priv/repo/migrations/20240101000000_create_posts.exs
defmodule Blog.Repo.Migrations.CreatePosts do
  use Ecto.Migration
  def change do
    create table(:posts) do
      add :title, :string
    end
  end
end
"#;
    assert!(index(&cat(&[ecto, GIT]))
        .of("snapshots-untracked")
        .is_empty());
}

#[test]
fn snapshots_untracked_suppressed() {
    let ix = index(
        &cat(&[
            LIBRARY,
            GIT,
            &ignoring("# ecto-ash-lsp: ignore snapshots-untracked — snapshots live in the infra repo\npriv/resource_snapshots/"),
        ]),
    );
    assert!(ix.of("snapshots-untracked").is_empty());
    let absent = LIBRARY.replace(
        "  use AshPostgres.Repo, otp_app: :library",
        "  # ecto-ash-lsp: ignore snapshots-untracked — migrations are hand-written here\n  use AshPostgres.Repo, otp_app: :library",
    );
    assert!(index(&cat(&[&absent, GIT]))
        .of("snapshots-untracked")
        .is_empty());
}

// codegen-would-recreate

#[test]
fn codegen_would_recreate_fires_at_the_table_line() {
    let ix = index(&cat(&[LIBRARY, GIT, &ignoring("priv/resource_snapshots/")]));
    assert_eq!(
        ix.of("codegen-would-recreate"),
        [
            "lib/library/catalog/author.ex:5: no snapshot covers Library.Catalog.Author (nothing in `priv/resource_snapshots/repo/authors`), but a migration already creates table public.authors: `mix ash.codegen` would emit a second `create table`, which fails with 42P07",
            "lib/library/catalog/book.ex:5: no snapshot covers Library.Catalog.Book (nothing in `priv/resource_snapshots/repo/books`), but a migration already creates table public.books: `mix ash.codegen` would emit a second `create table`, which fails with 42P07",
        ]
    );
    assert_eq!(
        ix.text_at("codegen-would-recreate").as_deref(),
        Some("\"authors\"")
    );
    let f = ix
        .findings
        .iter()
        .find(|f| f.code() == "codegen-would-recreate")
        .expect("fires");
    assert_eq!(f.resource.as_deref(), Some("Library.Catalog.Author"));
    assert_eq!(f.table.as_deref(), Some("public.authors"));
    assert_eq!(
        (f.related[0].file.as_str(), f.related[0].message.as_str()),
        (
            "priv/repo/migrations/20240105093000_migrate_resources1.exs",
            "table created here"
        )
    );
}

#[test]
fn codegen_would_recreate_for_the_one_table_without_a_snapshot() {
    // Explicit codegen: books' snapshot was never committed.
    let fixture = cat(&[
        LIBRARY,
        GIT,
        &config("codegen"),
        &file(
            "priv/resource_snapshots/repo/authors/20240105093000.json",
            &authors_snapshot(),
        ),
    ]);
    let ix = index(&fixture);
    assert_eq!(ix.of("codegen-would-recreate").len(), 1);
    assert!(ix.of("codegen-would-recreate")[0].starts_with("lib/library/catalog/book.ex:5:"));
    assert!(ix.of("snapshots-untracked").is_empty());
}

#[test]
fn codegen_would_recreate_not_when_covered_or_not_managed() {
    assert!(index(&tracked(&books_snapshot()))
        .of("codegen-would-recreate")
        .is_empty());
    // `migrate? false`: codegen leaves the table alone.
    let unmanaged = LIBRARY.replace(
        "    table \"books\"\n",
        "    table \"books\"\n    migrate? false\n",
    );
    let ix = index(&cat(&[&unmanaged, GIT]));
    assert_eq!(
        ix.of("codegen-would-recreate").len(),
        1,
        "{:?}",
        ix.of("codegen-would-recreate")
    );
    // No migration creates the table: creating it is right (missing-table says so).
    let new_resource = r#"
//- /lib/library/catalog/review.ex
defmodule Library.Catalog.Review do
  use Ash.Resource, domain: Library.Catalog, data_layer: AshPostgres.DataLayer

  postgres do
    table "reviews"
    repo Library.Repo
  end

  attributes do
    uuid_primary_key :id
  end
end
"#;
    let ix = index(&cat(&[&tracked(&books_snapshot()), new_resource]));
    assert!(ix.of("codegen-would-recreate").is_empty());
    assert_eq!(ix.of("missing-table").len(), 1);
}

#[test]
fn codegen_would_recreate_suppressed() {
    let suppressed = LIBRARY.replace(
        "    table \"books\"\n",
        "    # ecto-ash-lsp: ignore codegen-would-recreate — snapshot regenerated in the release branch\n    table \"books\"\n",
    );
    let ix = index(&cat(&[&suppressed, GIT]));
    assert_eq!(ix.of("codegen-would-recreate").len(), 1);
    assert!(ix.of("codegen-would-recreate")[0].starts_with("lib/library/catalog/author.ex"));
}

// stale-snapshot

fn stale_of(books: &str) -> Vec<String> {
    index(&tracked(books)).of("stale-snapshot")
}

#[test]
fn stale_snapshot_lists_each_difference() {
    let mut attributes = books_attributes();
    // The snapshot predates :page_count, still has :subtitle, thought :title
    // nullable with a default, and stored :status as an integer.
    attributes.retain(|a| a["source"] != "page_count");
    attributes.push(attr("subtitle", json!("text"), true, "nil"));
    attributes[1] = attr("title", json!("text"), true, "\"Untitled\"");
    attributes[3] = attr("status", json!("bigint"), false, "\"available\"");
    let books = snapshot("books", None, attributes, &[("unique_title", &["title"])]);
    assert_eq!(
        stale_of(&books),
        ["lib/library/catalog/book.ex:5: the newest snapshot of public.books disagrees with Library.Catalog.Book: attribute :page_count added; column subtitle removed; :title allow_nil? true → false; :title default \"Untitled\" → nil; :status type bigint → text; identity :unique_isbn added; identity :unique_title removed; the next `mix ash.codegen` will generate a migration for this"]
    );
    let ix = index(&tracked(&books));
    let f = ix
        .findings
        .iter()
        .find(|f| f.code() == "stale-snapshot")
        .expect("fires");
    assert_eq!(
        f.related[0].file,
        "priv/resource_snapshots/repo/books/20240105093000.json"
    );
    assert_eq!(f.related[0].message, "newest snapshot");
    let snapshot_file = &ix.ws.files[&f.related[0].file];
    assert_eq!(
        snapshot_file.text.get(f.related[0].span.clone()),
        Some("\"source\": \"subtitle\"")
    );
}

#[test]
fn stale_snapshot_on_references_and_arrays() {
    let mut attributes = books_attributes();
    attributes[4] = attr("tags", json!(["array", "bigint"]), true, "[]");
    attributes[8] = attr("author_id", json!("uuid"), false, "nil");
    let found = stale_of(&snapshot(
        "books",
        None,
        attributes,
        &[("unique_isbn", &["isbn"])],
    ));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].contains(": :tags type bigint[] → text[]; :author_id reference to authors added;"),
        "{found:?}"
    );
}

#[test]
fn stale_snapshot_reads_only_the_newest_file() {
    // An older snapshot without :page_count sits next to the current one.
    let mut old = books_attributes();
    old.retain(|a| a["source"] != "page_count");
    let fixture = cat(&[
        &tracked(&books_snapshot()),
        &file(
            "priv/resource_snapshots/repo/books/20231201000000.json",
            &snapshot("books", None, old.clone(), &[("unique_isbn", &["isbn"])]),
        ),
        // Dev snapshots are read only by `mix ash.codegen --dev`.
        &file(
            "priv/resource_snapshots/repo/books/20250101000000_dev.json",
            &snapshot("books", None, old, &[]),
        ),
    ]);
    assert!(index(&fixture).of("stale-snapshot").is_empty());
}

#[test]
fn stale_snapshot_not_for_equal_types_spelled_differently() {
    // `Ash.Type.String` is `:string`; `:text` storage; `{:array, Ash.Type.String}`.
    let spelled = tracked(&books_snapshot())
        .replace(
            "attribute :title, :string,",
            "attribute :title, Ash.Type.String,",
        )
        .replace(
            "attribute :tags, {:array, :string}",
            "attribute :tags, {:array, Ash.Type.String}",
        )
        .replace(
            "attribute :page_count, :integer",
            "attribute :page_count, Ash.Type.Integer",
        );
    assert!(
        index(&spelled).of("stale-snapshot").is_empty(),
        "{:?}",
        index(&spelled).of("stale-snapshot")
    );
    // A custom type's storage is unknown without compiling: never a difference.
    let custom = tracked(&books_snapshot()).replace(
        "attribute :status, :atom, default: :available,",
        "attribute :status, Library.Catalog.BookStatus, default: :available,",
    );
    assert!(index(&custom).of("stale-snapshot").is_empty());
    // Older snapshots without `precision`/`scale`, with unsorted keys and a
    // string-only identity key list, read the same.
    let older = books_snapshot()
        .replace("      \"precision\": null,\n", "")
        .replace("      \"scale\": null,\n", "")
        .replace(
            "{\n          \"type\": \"atom\",\n          \"value\": \"isbn\"\n        }",
            "\"isbn\"",
        );
    assert!(stale_of(&older).is_empty(), "{:?}", stale_of(&older));
}

#[test]
fn stale_snapshot_not_where_the_resource_says_more_than_we_read() {
    // `migration_types` overrides the stored type.
    let overridden = tracked(&books_snapshot().replace("\"type\": \"bigint\"", "\"type\": \"integer\""))
        .replace("    repo Library.Repo\n  end\n\n  attributes do\n    uuid_primary_key :id\n    attribute :title", "    repo Library.Repo\n    migration_types page_count: :integer\n  end\n\n  attributes do\n    uuid_primary_key :id\n    attribute :title");
    assert!(
        index(&overridden).of("stale-snapshot").is_empty(),
        "{:?}",
        index(&overridden).of("stale-snapshot")
    );
    // An extension may add columns the resource does not declare.
    let mut archived = books_attributes();
    archived.push(attr("archived_at", json!("utc_datetime_usec"), true, "nil"));
    let fixture = tracked(&snapshot("books", None, archived, &[("unique_isbn", &["isbn"])])).replace(
        "defmodule Library.Catalog.Book do\n  use Ash.Resource, domain: Library.Catalog, data_layer: AshPostgres.DataLayer",
        "defmodule Library.Catalog.Book do\n  use Ash.Resource,\n    domain: Library.Catalog,\n    data_layer: AshPostgres.DataLayer,\n    extensions: [AshArchival.Resource]",
    );
    assert!(
        index(&fixture).of("stale-snapshot").is_empty(),
        "{:?}",
        index(&fixture).of("stale-snapshot")
    );
}

#[test]
fn stale_snapshot_off_outside_the_codegen_stance() {
    let mut attributes = books_attributes();
    attributes.retain(|a| a["source"] != "page_count");
    let books = snapshot("books", None, attributes, &[("unique_isbn", &["isbn"])]);
    assert_eq!(stale_of(&books).len(), 1);
    // Explicit codegen over tracked snapshots: the same.
    let ix = index(&cat(&[&tracked(&books), &config("codegen")]));
    assert_eq!(ix.of("stale-snapshot").len(), 1);
    assert!(ix.of("non-idempotent-statement").is_empty());
    // Explicit hand-written: every snapshot rule is off, idempotency on.
    let ix = index(&cat(&[&tracked(&books), &config("hand-written")]));
    assert_eq!(codegen_codes(&ix), Vec::<String>::new());
    assert_eq!(ix.of("non-idempotent-statement").len(), 3);
    // Seed (auto, snapshots ignored): stale is off, the other two speak.
    let ix = index(&cat(&[
        &tracked(&books),
        &ignoring("priv/resource_snapshots/"),
    ]));
    assert!(ix.of("stale-snapshot").is_empty());
    assert_eq!(ix.of("snapshots-untracked").len(), 1);
    assert_eq!(ix.of("codegen-would-recreate").len(), 2);
    assert_eq!(ix.of("non-idempotent-statement").len(), 3);
    // Explicit codegen over ignored snapshots: all three speak, idempotency is off.
    let ix = index(&cat(&[
        &tracked(&books),
        &ignoring("priv/resource_snapshots/"),
        &config("codegen"),
    ]));
    assert_eq!(ix.of("snapshots-untracked").len(), 1);
    assert_eq!(ix.of("codegen-would-recreate").len(), 2);
    assert!(ix.of("non-idempotent-statement").is_empty());
}

#[test]
fn stale_snapshot_suppressed() {
    let mut attributes = books_attributes();
    attributes.retain(|a| a["source"] != "page_count");
    let books = snapshot("books", None, attributes, &[("unique_isbn", &["isbn"])]);
    let fixture = tracked(&books).replace(
        "    table \"books\"\n",
        "    # ecto-ash-lsp: ignore stale-snapshot — regenerated in the next release\n    table \"books\"\n",
    );
    assert!(index(&fixture).of("stale-snapshot").is_empty());
}

#[test]
fn stale_snapshot_for_a_folder_no_resource_maps_to() {
    let fixture = cat(&[
        &tracked(&books_snapshot()),
        &file(
            "priv/resource_snapshots/repo/loans/20240201000000.json",
            &snapshot(
                "loans",
                None,
                vec![attr("id", json!("uuid"), false, UUID)],
                &[],
            ),
        ),
    ]);
    assert_eq!(
        index(&fixture).of("stale-snapshot"),
        ["priv/resource_snapshots/repo/loans/20240201000000.json:30: no resource maps to table `loans` of repo folder `repo` any more; `mix ash.codegen` ignores this snapshot and never drops the table, so delete the folder once the table is dealt with"]
    );
}

// Bad snapshot files: one clear finding each, and the run goes on.

#[test]
fn bad_snapshot_files_are_parse_errors() {
    let truncated = books_snapshot();
    let truncated = &truncated[..truncated.len() / 2];
    for (text, message) in [
        ("", "empty snapshot file; `mix ash.codegen` cannot read it either"),
        ("{\"table\": \"books\", \"attributes\": 7}", "not a resource snapshot codegen can use: `attributes` is a number, not a list"),
        ("\u{1}\u{2}garbage", "malformed snapshot JSON (expected value at line 1 column 1); `mix ash.codegen` cannot read it either"),
    ] {
        let ix = index(&tracked(text));
        assert_eq!(
            ix.of("parse-error"),
            [format!("priv/resource_snapshots/repo/books/20240105093000.json:1: {message}")]
        );
        // Nothing is predicted from a file we could not read.
        assert!(ix.of("stale-snapshot").is_empty());
        assert!(ix.of("codegen-would-recreate").is_empty());
    }
    let ix = index(&tracked(truncated));
    assert_eq!(ix.of("parse-error").len(), 1);
    assert!(ix.of("parse-error")[0].contains("malformed snapshot JSON (EOF while parsing"));
}

// A schema-per-tenant project: tenant resources against tenant migrations,
// their snapshots under `tenants/`.

const TENANTS: &str = r#"
//- /mix.exs
defmodule Helpdesk.MixProject do
  use Mix.Project
end
//- /lib/helpdesk/repo.ex
defmodule Helpdesk.Repo do
  use AshPostgres.Repo, otp_app: :helpdesk
end
//- /lib/helpdesk/accounts/organization.ex
defmodule Helpdesk.Accounts.Organization do
  use Ash.Resource, domain: Helpdesk.Accounts, data_layer: AshPostgres.DataLayer

  postgres do
    table "organizations"
    repo Helpdesk.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :name, :string, allow_nil?: false
  end
end
//- /lib/helpdesk/support/ticket.ex
defmodule Helpdesk.Support.Ticket do
  use Ash.Resource, domain: Helpdesk.Support, data_layer: AshPostgres.DataLayer

  postgres do
    table "tickets"
    repo Helpdesk.Repo
  end

  multitenancy do
    strategy :context
  end

  attributes do
    uuid_primary_key :id
    attribute :subject, :string, allow_nil?: false
    attribute :priority, :integer, default: 3
  end
end
//- /priv/repo/migrations/20240301100000_create_organizations.exs
defmodule Helpdesk.Repo.Migrations.CreateOrganizations do
  use Ecto.Migration

  def change do
    create table(:organizations, primary_key: false) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :name, :text, null: false
    end
  end
end
//- /priv/repo/tenant_migrations/20240301100500_create_tickets.exs
defmodule Helpdesk.Repo.TenantMigrations.CreateTickets do
  use Ecto.Migration

  def up do
    create table(:tickets, primary_key: false, prefix: prefix()) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :subject, :text, null: false
      add :priority, :bigint, default: 3
    end
  end

  def down do
    drop table(:tickets, prefix: prefix())
  end
end
"#;

fn organizations_snapshot() -> String {
    snapshot(
        "organizations",
        None,
        vec![
            attr("id", json!("uuid"), false, UUID),
            attr("name", json!("text"), false, "nil"),
        ],
        &[],
    )
    .replace("Library.Repo", "Helpdesk.Repo")
}

fn tickets_snapshot(priority_default: &str) -> String {
    snapshot(
        "tickets",
        Some("context"),
        vec![
            attr("id", json!("uuid"), false, UUID),
            attr("subject", json!("text"), false, "nil"),
            attr("priority", json!("bigint"), true, priority_default),
        ],
        &[],
    )
    .replace("Library.Repo", "Helpdesk.Repo")
}

fn helpdesk(tickets: Option<&str>) -> String {
    let mut s = cat(&[
        TENANTS,
        GIT,
        &file(
            "priv/resource_snapshots/repo/organizations/20240301100000.json",
            &organizations_snapshot(),
        ),
    ]);
    if let Some(t) = tickets {
        s.push_str(&file(
            "priv/resource_snapshots/repo/tenants/tickets/20240301100500.json",
            t,
        ));
    }
    s
}

#[test]
fn tenant_resources_match_their_tenant_snapshots() {
    let ix = index(&helpdesk(Some(&tickets_snapshot("3"))));
    assert_eq!(codegen_codes(&ix), Vec::<String>::new());
    assert!(
        ix.of("missing-table").is_empty(),
        "{:?}",
        ix.of("missing-table")
    );
    let ticket = ix
        .analysis
        .resource("Helpdesk.Support.Ticket")
        .expect("linked");
    assert_eq!(ticket.table.as_deref(), Some("<tenant>.tickets"));
}

#[test]
fn tenant_resource_without_a_tenant_snapshot_would_be_recreated() {
    // The snapshot sits outside `tenants/`, where codegen does not look for
    // a schema-per-tenant resource.
    let misplaced = cat(&[
        &helpdesk(None),
        &file(
            "priv/resource_snapshots/repo/tickets/20240301100500.json",
            &tickets_snapshot("3"),
        ),
    ]);
    let ix = index(&misplaced);
    assert_eq!(
        ix.of("codegen-would-recreate"),
        ["lib/helpdesk/support/ticket.ex:5: no snapshot covers Helpdesk.Support.Ticket (nothing in `priv/resource_snapshots/repo/tenants/tickets`), but a migration already creates table <tenant>.tickets: `mix ash.codegen` would emit a second `create table`, which fails with 42P07"]
    );
    let f = ix
        .findings
        .iter()
        .find(|f| f.code() == "codegen-would-recreate")
        .expect("fires");
    assert_eq!(
        f.related[0].file,
        "priv/repo/tenant_migrations/20240301100500_create_tickets.exs"
    );
    // The snapshot outside `tenants/` is not called an orphan: a tenant
    // resource marked `global? true` has one there too.
    assert!(
        ix.of("stale-snapshot").is_empty(),
        "{:?}",
        ix.of("stale-snapshot")
    );
}

#[test]
fn tenant_snapshot_differences_are_stale() {
    let ix = index(&helpdesk(Some(&tickets_snapshot("1"))));
    assert_eq!(
        ix.of("stale-snapshot"),
        ["lib/helpdesk/support/ticket.ex:5: the newest snapshot of <tenant>.tickets disagrees with Helpdesk.Support.Ticket: :priority default 1 → 3; the next `mix ash.codegen` will generate a migration for this"]
    );
    let suppressed = helpdesk(Some(&tickets_snapshot("1"))).replace(
        "    table \"tickets\"\n",
        "    # ecto-ash-lsp: ignore stale-snapshot — default changed in the DB by hand\n    table \"tickets\"\n",
    );
    assert!(index(&suppressed).of("stale-snapshot").is_empty());
}

#[test]
fn tenant_project_with_ignored_snapshots() {
    let fixture = cat(&[TENANTS, GIT, &ignoring("priv/resource_snapshots")]);
    let ix = index(&fixture);
    assert_eq!(ix.of("snapshots-untracked").len(), 1);
    assert!(
        ix.of("snapshots-untracked")[0].contains("while 2 migrations exist"),
        "{:?}",
        ix.of("snapshots-untracked")
    );
    let mut recreated: Vec<String> = ix.of("codegen-would-recreate");
    recreated.sort();
    assert_eq!(recreated.len(), 2);
    assert!(recreated[1].starts_with("lib/helpdesk/support/ticket.ex:5:"));
    // Explicit hand-written: silent.
    let ix = index(&cat(&[&fixture, &config("hand-written")]));
    assert_eq!(codegen_codes(&ix), Vec::<String>::new());
}

// The preview in `schema --format json`.

#[test]
fn preview_lists_creates_and_alters() {
    let mut attributes = books_attributes();
    attributes.retain(|a| a["source"] != "page_count");
    let ix = index(&tracked(&snapshot(
        "books",
        None,
        attributes,
        &[("unique_isbn", &["isbn"])],
    )));
    let preview = ecto_ash_lsp::checks::codegen::preview(&ix.ws, &ix.analysis);
    let got: Vec<(String, &str, Vec<String>)> = preview
        .into_iter()
        .map(|e| (e.table, e.operation, e.changes))
        .collect();
    assert_eq!(
        got,
        [(
            "public.books".to_string(),
            "alter",
            vec!["attribute :page_count added".to_string()]
        )]
    );
    let ix = index(&helpdesk(None));
    let preview = ecto_ash_lsp::checks::codegen::preview(&ix.ws, &ix.analysis);
    assert_eq!(preview.len(), 1);
    assert_eq!(preview[0].table, "<tenant>.tickets");
    assert_eq!(preview[0].operation, "create");
    assert_eq!(
        preview[0].changes,
        [
            "add id uuid primary key",
            "add subject text not null",
            "add priority bigint"
        ]
    );
}

// An umbrella: the repo (and so the snapshots) live in one app, a resource
// in another. Codegen writes snapshots under the repo's app.

#[test]
fn umbrella_resources_find_snapshots_under_the_repos_app() {
    let fixture = cat(&[
        r#"
//- /mix.exs
defmodule Shelf.Umbrella.MixProject do
  use Mix.Project
end
//- /apps/core/mix.exs
defmodule Core.MixProject do
  use Mix.Project
end
//- /apps/core/lib/core/repo.ex
defmodule Core.Repo do
  use AshPostgres.Repo, otp_app: :core
end
//- /apps/web/mix.exs
defmodule Web.MixProject do
  use Mix.Project
end
//- /apps/web/lib/web/shelf.ex
defmodule Web.Shelf do
  use Ash.Resource, domain: Web.Library, data_layer: AshPostgres.DataLayer

  postgres do
    table "shelves"
    repo Core.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :label, :string, allow_nil?: false
  end
end
//- /apps/core/priv/repo/migrations/20240110120000_migrate_resources1.exs
defmodule Core.Repo.Migrations.MigrateResources1 do
  use Ecto.Migration

  def up do
    create table(:shelves, primary_key: false) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :label, :text, null: false
    end
  end

  def down do
    drop table(:shelves)
  end
end
"#,
        GIT,
        &file(
            "apps/core/priv/resource_snapshots/repo/shelves/20240110120000.json",
            &snapshot(
                "shelves",
                None,
                vec![
                    attr("id", json!("uuid"), false, UUID),
                    attr("label", json!("text"), false, "nil"),
                ],
                &[],
            )
            .replace("Library.Repo", "Core.Repo"),
        ),
    ]);
    let ix = index(&fixture);
    assert_eq!(codegen_codes(&ix), Vec::<String>::new());
    assert!(ix.of("non-idempotent-statement").is_empty());
    // Renaming the column in the resource makes the snapshot stale.
    let renamed = fixture.replace("attribute :label, :string", "attribute :name, :string");
    let found = index(&renamed).of("stale-snapshot");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("apps/web/lib/web/shelf.ex:5:"),
        "{found:?}"
    );
    assert!(
        found[0].contains("attribute :name added; column label removed"),
        "{found:?}"
    );
}

// The on-disk fixture (`tests/fixtures/codegen`, see its EXPECTED.md): real
// files, real snapshot layout, git ignore rules read from disk.

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).expect("readable").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn findings_at(path: &std::path::Path) -> (Vec<(String, String)>, String) {
    let report = ecto_ash_lsp::cli::Report::build(path).expect("indexes");
    let found = report
        .findings
        .iter()
        .map(|f| {
            let line = report.workspace.files[&f.file].lines.line_of(f.span.start) + 1;
            (f.code().to_string(), format!("{}:{line}", f.file))
        })
        .collect();
    let mut human = Vec::new();
    ecto_ash_lsp::cli::human::write(&mut human, &report).expect("writes");
    (found, String::from_utf8_lossy(&human).into_owned())
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(c, l)| (c.to_string(), l.to_string()))
        .collect()
}

#[test]
fn ledger_fixture_matches_its_expected_findings() {
    let (found, human) = findings_at(&support::repo_path("tests/fixtures/codegen"));
    assert_eq!(
        found,
        pairs(&[
            ("stale-snapshot", "lib/ledger/billing/payment.ex:5"),
            ("missing-column", "lib/ledger/billing/payment.ex:18"),
            ("codegen-would-recreate", "lib/ledger/reports/summary.ex:7"),
            (
                "parse-error",
                "priv/resource_snapshots/repo/audit_events/20240601000000.json:1"
            ),
            (
                "stale-snapshot",
                "priv/resource_snapshots/repo/legacy_transfers/20230914080000.json:42"
            ),
        ])
    );
    assert!(
        human.ends_with("mix ash.codegen would emit: 1 create table, 1 alter table\n"),
        "{human}"
    );
}

#[test]
fn ledger_fixture_in_a_checkout_that_ignores_its_snapshots() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&support::repo_path("tests/fixtures/codegen"), dir.path());
    std::fs::create_dir_all(dir.path().join(".git/info")).expect("mkdir");
    std::fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/main\n").expect("write");
    std::fs::write(
        dir.path().join(".gitignore"),
        "/_build/\n/deps/\n/priv/resource_snapshots/\n",
    )
    .expect("write");
    let (found, human) = findings_at(dir.path());
    let codes = |code: &str| found.iter().filter(|(c, _)| c == code).count();
    assert_eq!(
        found.iter().find(|(c, _)| c == "snapshots-untracked"),
        Some(&(
            "snapshots-untracked".to_string(),
            ".gitignore:3".to_string()
        ))
    );
    assert_eq!(codes("codegen-would-recreate"), 5);
    assert_eq!(codes("stale-snapshot"), 0);
    assert!(codes("non-idempotent-statement") > 0);
    assert!(
        human.ends_with("mix ash.codegen would emit: 5 create table, 0 alter table\n"),
        "{human}"
    );

    // The same ignore line in `.git/info/exclude` instead: the finding goes
    // to the repo module and names the exclude file.
    std::fs::write(dir.path().join(".gitignore"), "/_build/\n").expect("write");
    std::fs::write(
        dir.path().join(".git/info/exclude"),
        "# local\npriv/resource_snapshots\n",
    )
    .expect("write");
    let report = ecto_ash_lsp::cli::Report::build(dir.path()).expect("indexes");
    let untracked: Vec<&ecto_ash_lsp::checks::Finding> = report
        .findings
        .iter()
        .filter(|f| f.code() == "snapshots-untracked")
        .collect();
    assert_eq!(untracked.len(), 1);
    assert_eq!(untracked[0].file, "lib/ledger/repo.ex");
    assert!(
        untracked[0]
            .message
            .contains("(`priv/resource_snapshots` at .git/info/exclude:2)"),
        "{}",
        untracked[0].message
    );

    // Hand-written: the snapshot rules go quiet.
    std::fs::write(
        dir.path().join(".ecto-ash-lsp.toml"),
        "convention = \"hand-written\"\n",
    )
    .expect("write");
    let (found, _) = findings_at(dir.path());
    assert!(
        found.iter().all(|(c, _)| ![
            "snapshots-untracked",
            "codegen-would-recreate",
            "stale-snapshot"
        ]
        .contains(&c.as_str())),
        "{found:?}"
    );
}

// The collision rules that predate this file are per repo and per
// migrations folder: tenant migrations keep their own versions and tables.

#[test]
fn collisions_are_per_repo_and_tenant_aware() {
    let fixture = cat(&[
        TENANTS,
        // Same version and table name as a plain migration, but in the
        // tenant folder: its own `schema_migrations` and its own schema.
        r#"
//- /priv/repo/tenant_migrations/20240301100000_create_organizations.exs
defmodule Helpdesk.Repo.TenantMigrations.CreateOrganizations do
  use Ecto.Migration

  def change do
    create table(:organizations, primary_key: false, prefix: prefix()) do
      add :id, :uuid, primary_key: true
    end
  end
end
"#,
    ]);
    let ix = index(&fixture);
    for code in [
        "duplicate-migration-version",
        "duplicate-migration-module",
        "table-created-twice",
    ] {
        assert!(ix.of(code).is_empty(), "{code}: {:?}", ix.of(code));
    }
    // Within the tenant folder they do collide.
    let twice = cat(&[
        &fixture,
        r#"
//- /priv/repo/tenant_migrations/20240301100000_create_tickets_again.exs
defmodule Helpdesk.Repo.TenantMigrations.CreateTickets do
  use Ecto.Migration

  def change do
    create table(:tickets, prefix: prefix())
  end
end
"#,
    ]);
    let ix = index(&twice);
    assert_eq!(ix.of("duplicate-migration-version").len(), 1);
    assert_eq!(ix.of("duplicate-migration-module").len(), 1);
    assert_eq!(
        ix.of("table-created-twice"),
        ["priv/repo/tenant_migrations/20240301100500_create_tickets.exs:5: table <tenant>.tickets is created again without a guard or a drop in between; migrating a fresh database fails here (42P07)"]
    );
}

#[test]
fn a_moved_snapshot_folder_is_unresolved_not_guessed() {
    let fixture = cat(&[
        LIBRARY,
        GIT,
        r#"
//- /config/config.exs
import Config

config :library, Library.Repo,
  database: "library_dev",
  snapshots_path: "priv/repo/snapshots"
"#,
    ]);
    let ix = index(&fixture);
    assert_eq!(codegen_codes(&ix), Vec::<String>::new());
    assert_eq!(
        ix.of("unresolved"),
        ["config/config.exs:5: `snapshots_path` moves the resource snapshots away from `priv/resource_snapshots`; the snapshot rules (`snapshots-untracked`, `codegen-would-recreate`, `stale-snapshot`) are skipped"]
    );
    assert!(ecto_ash_lsp::checks::codegen::preview(&ix.ws, &ix.analysis).is_empty());
}

#[test]
fn type_modules_skipped_identities_and_ignored_references() {
    let status_enum = r#"
//- /lib/library/catalog/book_status.ex
defmodule Library.Catalog.BookStatus do
  use Ash.Type.Enum, values: [:available, :lent, :lost]
end
"#;
    let with_enum = |books: &str| {
        cat(&[&tracked(books), status_enum]).replace(
            "attribute :status, :atom, default: :available, allow_nil?: false",
            "attribute :status, Library.Catalog.BookStatus, default: :available, allow_nil?: false",
        )
    };
    // An `Ash.Type.Enum` is stored as text, like the snapshot says.
    let ix = index(&with_enum(&books_snapshot()));
    assert!(
        ix.of("stale-snapshot").is_empty(),
        "{:?}",
        ix.of("stale-snapshot")
    );
    // …so a snapshot that stored it as an integer is stale.
    let mut attributes = books_attributes();
    attributes[3] = attr("status", json!("bigint"), false, "\"available\"");
    let found = index(&with_enum(&snapshot(
        "books",
        None,
        attributes,
        &[("unique_isbn", &["isbn"])],
    )))
    .of("stale-snapshot");
    assert_eq!(found.len(), 1);
    assert!(found[0].contains(":status type bigint → text"), "{found:?}");

    // `skip_unique_indexes` and an ignored reference: codegen leaves both
    // out of the snapshot.
    let mut attributes = books_attributes();
    attributes[8] = attr("author_id", json!("uuid"), false, "nil");
    let fixture = tracked(&snapshot("books", None, attributes, &[])).replace(
        "    table \"books\"\n    repo Library.Repo\n",
        "    table \"books\"\n    repo Library.Repo\n    skip_unique_indexes [:unique_isbn]\n\n    references do\n      reference :author, ignore?: true\n    end\n",
    );
    let ix = index(&fixture);
    assert!(
        ix.of("stale-snapshot").is_empty(),
        "{:?}",
        ix.of("stale-snapshot")
    );
}

#[test]
fn columns_an_extension_adds_are_not_removed() {
    let tokens = r#"
//- /lib/library/accounts/token.ex
defmodule Library.Accounts.Token do
  use Ash.Resource,
    domain: Library.Accounts,
    data_layer: AshPostgres.DataLayer,
    extensions: [AshAuthentication.TokenResource]

  postgres do
    table "tokens"
    repo Library.Repo
  end
end
"#;
    let token_snapshot = snapshot(
        "tokens",
        None,
        vec![
            attr("jti", json!("text"), false, "nil"),
            attr("subject", json!("text"), false, "nil"),
            attr("expires_at", json!("utc_datetime"), false, "nil"),
            attr("purpose", json!("text"), false, "nil"),
            attr("extra_data", json!("map"), true, "nil"),
            attr("created_at", json!("utc_datetime_usec"), false, NOW),
            attr("updated_at", json!("utc_datetime_usec"), false, NOW),
        ],
        &[],
    );
    let fixture = cat(&[
        &tracked(&books_snapshot()),
        tokens,
        &file(
            "priv/resource_snapshots/repo/tokens/20240105093000.json",
            &token_snapshot,
        ),
    ]);
    let ix = index(&fixture);
    assert!(
        ix.of("stale-snapshot").is_empty(),
        "{:?}",
        ix.of("stale-snapshot")
    );
    // A column no extension explains is still reported.
    let extra = token_snapshot.replace("\"source\": \"purpose\"", "\"source\": \"legacy_scope\"");
    let fixture = cat(&[
        &tracked(&books_snapshot()),
        tokens,
        &file(
            "priv/resource_snapshots/repo/tokens/20240105093000.json",
            &extra,
        ),
    ]);
    let found = index(&fixture).of("stale-snapshot");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("column legacy_scope removed"),
        "{found:?}"
    );
}
