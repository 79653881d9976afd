//! Patterns seen in real Ash (AshPostgres) projects, each as a small fixture
//! written for the purpose: what the checker must report, and what it must
//! leave alone because the library does it out of sight.

mod support;

use support::index;

const REPO: &str = r#"
//- /mix.exs
defmodule Bookshelf.MixProject do
  use Mix.Project
end
//- /lib/bookshelf/repo.ex
defmodule Bookshelf.Repo do
  use AshPostgres.Repo, otp_app: :bookshelf
end
"#;

fn project(parts: &[&str]) -> String {
    let mut s = REPO.to_string();
    for p in parts {
        s.push_str(p);
    }
    s
}

/// An AshAuthentication user and token resource as the installer writes
/// them, with the migration codegen makes: the confirmation add-on adds
/// `confirmed_at`, and the token extension adds every token attribute the
/// resource does not declare.
const AUTHENTICATION: &str = r#"
//- /lib/bookshelf/accounts/user.ex
defmodule Bookshelf.Accounts.User do
  use Ash.Resource,
    otp_app: :bookshelf,
    domain: Bookshelf.Accounts,
    authorizers: [Ash.Policy.Authorizer],
    extensions: [AshAuthentication],
    data_layer: AshPostgres.DataLayer

  authentication do
    add_ons do
      confirmation :confirm_new_user do
        monitor_fields [:email]
        sender Bookshelf.Accounts.User.Senders.SendNewUserConfirmationEmail
      end
    end

    tokens do
      enabled? true
      token_resource Bookshelf.Accounts.Token
    end

    strategies do
      password :password do
        identity_field :email
      end
    end
  end

  postgres do
    table "users"
    repo Bookshelf.Repo
  end

  attributes do
    uuid_primary_key :id

    attribute :email, :ci_string do
      allow_nil? false
      public? true
    end

    attribute :hashed_password, :string do
      sensitive? true
    end
  end

  identities do
    identity :unique_email, [:email]
  end
end
//- /lib/bookshelf/accounts/token.ex
defmodule Bookshelf.Accounts.Token do
  use Ash.Resource,
    domain: Bookshelf.Accounts,
    extensions: [AshAuthentication.TokenResource],
    data_layer: AshPostgres.DataLayer

  postgres do
    table "tokens"
    repo Bookshelf.Repo
  end
end
//- /priv/repo/migrations/20250301100000_add_authentication_resources.exs
defmodule Bookshelf.Repo.Migrations.AddAuthenticationResources do
  use Ecto.Migration

  def up do
    create table(:users, primary_key: false) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :email, :citext, null: false
      add :hashed_password, :text
      add :confirmed_at, :utc_datetime_usec
    end

    create unique_index(:users, [:email], name: "users_unique_email_index")

    create table(:tokens, primary_key: false) do
      add :jti, :text, null: false, primary_key: true
      add :subject, :text, null: false
      add :expires_at, :utc_datetime, null: false
      add :purpose, :text, null: false
      add :extra_data, :map

      add :created_at, :utc_datetime_usec,
        null: false,
        default: fragment("(now() AT TIME ZONE 'utc')")

      add :updated_at, :utc_datetime_usec,
        null: false,
        default: fragment("(now() AT TIME ZONE 'utc')")
    end
  end

  def down do
    drop table(:tokens)
    drop table(:users)
  end
end
"#;

#[test]
fn authentication_columns_added_by_extensions_are_not_extra() {
    let ix = index(&project(&[AUTHENTICATION]));
    assert_eq!(ix.of("extra-column"), Vec::<String>::new());
    assert_eq!(ix.of("missing-column"), Vec::<String>::new());
    assert_eq!(ix.of("table-without-resource"), Vec::<String>::new());
}

#[test]
fn a_token_column_outside_the_extension_list_is_still_extra() {
    let fixture = project(&[AUTHENTICATION]).replace(
        "      add :extra_data, :map\n",
        "      add :extra_data, :map\n      add :device, :text\n",
    );
    let ix = index(&fixture);
    assert_eq!(
        ix.of("extra-column"),
        vec![
            "priv/repo/migrations/20250301100000_add_authentication_resources.exs:20: \
             column public.tokens.device has no attribute on Bookshelf.Accounts.Token"
        ]
    );
}

/// A resource whose only extensions add no attributes keeps its extra
/// columns reported; an extension we cannot see into quiets them.
fn shelf(extensions: &str) -> String {
    project(&[&format!(
        r#"
//- /lib/bookshelf/catalog/shelf.ex
defmodule Bookshelf.Catalog.Shelf do
  use Ash.Resource,
    domain: Bookshelf.Catalog,
    data_layer: AshPostgres.DataLayer,
    extensions: {extensions}

  postgres do
    table "shelves"
    repo Bookshelf.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :label, :string, allow_nil?: false, public?: true
  end
end
//- /priv/repo/migrations/20250302100000_create_shelves.exs
defmodule Bookshelf.Repo.Migrations.CreateShelves do
  use Ecto.Migration

  def change do
    create table(:shelves, primary_key: false) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :label, :text, null: false
      add :archived_at, :utc_datetime_usec
    end
  end
end
"#
    )])
}

#[test]
fn extensions_that_add_attributes_quiet_extra_columns() {
    let reported = index(&shelf("[AshGraphql.Resource, AshJsonApi.Resource]"));
    assert_eq!(
        reported.of("extra-column"),
        vec![
            "priv/repo/migrations/20250302100000_create_shelves.exs:8: \
             column public.shelves.archived_at has no attribute on Bookshelf.Catalog.Shelf"
        ]
    );
    for extensions in ["[AshArchival.Resource]", "@resource_extensions"] {
        let quiet = index(&shelf(extensions));
        assert_eq!(
            quiet.of("extra-column"),
            Vec::<String>::new(),
            "{extensions}"
        );
    }
}

#[test]
fn paper_trail_versions_tables_belong_to_the_generated_resource() {
    let fixture = project(&[r#"
//- /lib/bookshelf/catalog/book.ex
defmodule Bookshelf.Catalog.Book do
  use Ash.Resource,
    domain: Bookshelf.Catalog,
    data_layer: AshPostgres.DataLayer,
    extensions: [AshPaperTrail.Resource]

  postgres do
    table "books"
    repo Bookshelf.Repo
  end

  paper_trail do
    change_tracking_mode :changes_only
    store_action_name? true
  end

  attributes do
    uuid_primary_key :id
    attribute :title, :string, allow_nil?: false, public?: true
  end
end
//- /priv/repo/migrations/20250303100000_create_books.exs
defmodule Bookshelf.Repo.Migrations.CreateBooks do
  use Ecto.Migration

  def up do
    create table(:books, primary_key: false) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :title, :text, null: false
    end

    create table(:books_versions, primary_key: false) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :version_action_type, :text, null: false
      add :version_action_name, :text, null: false
      add :version_source_id, :uuid, null: false
      add :changes, :map

      add :version_inserted_at, :utc_datetime_usec,
        null: false,
        default: fragment("(now() AT TIME ZONE 'utc')")
    end

    create table(:reading_logs, primary_key: false) do
      add :id, :uuid, null: false, primary_key: true
    end
  end

  def down do
    drop table(:reading_logs)
    drop table(:books_versions)
    drop table(:books)
  end
end
"#]);
    let ix = index(&fixture);
    assert_eq!(
        ix.of("table-without-resource"),
        vec![
            "priv/repo/migrations/20250303100000_create_books.exs:22: \
             table public.reading_logs is mapped by no resource or schema"
        ]
    );
    assert_eq!(ix.of("extra-column"), Vec::<String>::new());
}

#[test]
fn dropping_the_pkey_constraint_moves_the_primary_key() {
    // Codegen, when a join resource gains its own id: the composite key is
    // dropped by its Postgres name and a new primary key column is added.
    let fixture = project(&[r#"
//- /lib/bookshelf/catalog/author_book.ex
defmodule Bookshelf.Catalog.AuthorBook do
  use Ash.Resource,
    domain: Bookshelf.Catalog,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "author_books"
    repo Bookshelf.Repo
  end

  attributes do
    uuid_v7_primary_key :id
  end

  relationships do
    belongs_to :author, Bookshelf.Catalog.Author, allow_nil?: false
    belongs_to :book, Bookshelf.Catalog.Book, allow_nil?: false
  end
end
//- /priv/repo/migrations/20250304100000_create_author_books.exs
defmodule Bookshelf.Repo.Migrations.CreateAuthorBooks do
  use Ecto.Migration

  def up do
    create table(:author_books, primary_key: false) do
      add :author_id, :uuid, primary_key: true, null: false
      add :book_id, :uuid, primary_key: true, null: false
    end
  end

  def down do
    drop table(:author_books)
  end
end
//- /priv/repo/migrations/20250305100000_give_author_books_an_id.exs
defmodule Bookshelf.Repo.Migrations.GiveAuthorBooksAnId do
  use Ecto.Migration

  def up do
    drop constraint("author_books", "author_books_pkey")

    alter table(:author_books) do
      modify :author_id, :uuid, primary_key: false
      modify :book_id, :uuid, primary_key: false
      add :id, :uuid, null: false, default: fragment("uuid_generate_v7()"), primary_key: true
    end
  end

  def down do
    drop constraint("author_books", "author_books_pkey")
  end
end
"#]);
    let ix = index(&fixture);
    assert_eq!(ix.of("primary-key-mismatch"), Vec::<String>::new());
    let table = ix.analysis.models[0]
        .table("public.author_books")
        .expect("table folded");
    let key: Vec<&str> = table
        .primary_key()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(key, vec!["id"]);
}

/// A resource typed with the project's own enum, embedded resource and
/// NewType, against columns written by hand.
fn typed_loan(columns: &str) -> String {
    project(&[&format!(
        r#"
//- /lib/bookshelf/loans/status.ex
defmodule Bookshelf.Loans.Status do
  use Ash.Type.Enum, values: [:open, :returned, :lost]
end
//- /lib/bookshelf/loans/condition_report.ex
defmodule Bookshelf.Loans.ConditionReport do
  use Ash.Resource, data_layer: :embedded

  attributes do
    attribute :notes, :string, public?: true
    attribute :damaged?, :boolean, default: false, public?: true
  end
end
//- /lib/bookshelf/types/barcode.ex
defmodule Bookshelf.Types.Barcode do
  use Ash.Type.NewType, subtype_of: :string, constraints: [match: ~r/^[0-9]{{13}}$/]
end
//- /lib/bookshelf/loans/loan.ex
defmodule Bookshelf.Loans.Loan do
  use Ash.Resource,
    domain: Bookshelf.Loans,
    data_layer: AshPostgres.DataLayer

  alias Bookshelf.Loans.{{ConditionReport, Status}}

  postgres do
    table "loans"
    repo Bookshelf.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :status, Status, allow_nil?: false, default: :open, public?: true
    attribute :reports, {{:array, ConditionReport}}, public?: true
    attribute :barcode, Bookshelf.Types.Barcode, public?: true
  end
end
//- /priv/repo/migrations/20250306100000_create_loans.exs
defmodule Bookshelf.Repo.Migrations.CreateLoans do
  use Ecto.Migration

  def change do
    create table(:loans, primary_key: false) do
      add :id, :uuid, primary_key: true
{columns}    end
  end
end
"#
    )])
}

#[test]
fn project_type_modules_give_attributes_their_storage() {
    let matching = index(&typed_loan(
        "      add :status, :string, null: false, default: \"open\"\n      add :reports, {:array, :map}\n      add :barcode, :text\n",
    ));
    assert_eq!(matching.of("column-type-mismatch"), Vec::<String>::new());

    let wrong = index(&typed_loan(
        "      add :status, :integer, null: false, default: 0\n      add :reports, :text\n      add :barcode, :bigint\n",
    ));
    assert_eq!(
        wrong.of("column-type-mismatch"),
        vec![
            "lib/bookshelf/loans/loan.ex:15: attribute :status is Bookshelf.Loans.Status (text) but column public.loans.status is integer",
            "lib/bookshelf/loans/loan.ex:16: attribute :reports is {:array, Bookshelf.Loans.ConditionReport} (json[]) but column public.loans.reports is text",
            "lib/bookshelf/loans/loan.ex:17: attribute :barcode is Bookshelf.Types.Barcode (text) but column public.loans.barcode is bigint",
        ]
    );
}

/// A resource multitenant by attribute, with identities scoped per tenant,
/// across all tenants, and skipped by codegen.
fn member_card(index_columns: &str) -> String {
    project(&[&format!(
        r#"
//- /lib/bookshelf/branches/member_card.ex
defmodule Bookshelf.Branches.MemberCard do
  use Ash.Resource,
    domain: Bookshelf.Branches,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "member_cards"
    repo Bookshelf.Repo
    skip_unique_indexes [:unique_legacy_number]
  end

  multitenancy do
    strategy :attribute
    attribute :branch_id
    global? true
  end

  attributes do
    uuid_primary_key :id
    attribute :number, :string, allow_nil?: false, public?: true
    attribute :legacy_number, :string, public?: true
    attribute :national_id, :string, public?: true
    attribute :sequence, :integer, public?: true, writable?: false, generated?: true
  end

  relationships do
    belongs_to :branch, Bookshelf.Branches.Branch, allow_nil?: false
  end

  identities do
    identity :unique_number, [:number]
    identity :unique_legacy_number, [:legacy_number]
    identity :unique_national_id, [:national_id], all_tenants?: true
  end
end
//- /priv/repo/migrations/20250307100000_create_member_cards.exs
defmodule Bookshelf.Repo.Migrations.CreateMemberCards do
  use Ecto.Migration

  def change do
    create table(:member_cards, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :number, :text, null: false
      add :legacy_number, :text
      add :national_id, :text
      add :sequence, :bigserial, null: false
      add :branch_id, :uuid, null: false
    end

    create unique_index(:member_cards, {index_columns},
             name: "member_cards_unique_number_index"
           )

    create unique_index(:member_cards, [:national_id])
  end
end
"#
    )])
}

#[test]
fn identities_of_attribute_multitenant_resources_lead_with_the_tenant() {
    let ix = index(&member_card("[:branch_id, :number]"));
    assert_eq!(ix.of("identity-without-unique-index"), Vec::<String>::new());
    // A serial column fills itself: no nullability finding.
    assert_eq!(ix.of("nullability-mismatch"), Vec::<String>::new());

    let without_tenant = index(&member_card("[:number]"));
    assert_eq!(
        without_tenant.of("identity-without-unique-index"),
        vec![
            "lib/bookshelf/branches/member_card.ex:31: identity :unique_number on \
             (branch_id, number) has no unique index in table public.member_cards; \
             AshPostgres expects member_cards_unique_number_index"
        ]
    );
}

#[test]
fn a_base_adding_its_own_extensions_quiets_extra_columns_of_its_users() {
    let fixture = project(&[r#"
//- /lib/bookshelf/resource.ex
defmodule Bookshelf.Resource do
  @default_extensions [Bookshelf.Extensions.Stamped]

  defmacro __using__(opts) do
    opts =
      Keyword.update(opts, :extensions, @default_extensions, &(@default_extensions ++ &1))

    quote do
      use Ash.Resource, unquote(opts)
    end
  end
end
//- /lib/bookshelf/catalog/genre.ex
defmodule Bookshelf.Catalog.Genre do
  use Bookshelf.Resource,
    domain: Bookshelf.Catalog,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "genres"
    repo Bookshelf.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :name, :string, allow_nil?: false, public?: true
  end
end
//- /priv/repo/migrations/20250308100000_create_genres.exs
defmodule Bookshelf.Repo.Migrations.CreateGenres do
  use Ecto.Migration

  def change do
    create table(:genres, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :name, :text, null: false
      add :stamped_at, :utc_datetime_usec, null: false
    end
  end
end
"#]);
    let ix = index(&fixture);
    assert_eq!(ix.of("extra-column"), Vec::<String>::new());
    assert_eq!(ix.of("table-without-resource"), Vec::<String>::new());
    let genre = ix
        .analysis
        .resource("Bookshelf.Catalog.Genre")
        .expect("linked");
    assert_eq!(genre.table.as_deref(), Some("public.genres"));
}

#[test]
fn a_key_declared_as_an_attribute_keeps_its_own_nullability() {
    let fixture = project(&[r#"
//- /lib/bookshelf/billing/invoice.ex
defmodule Bookshelf.Billing.Invoice do
  use Ash.Resource,
    domain: Bookshelf.Billing,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "invoices"
    repo Bookshelf.Repo
  end

  attributes do
    uuid_primary_key :id

    attribute :member_id, :uuid do
      allow_nil? false
    end
  end

  relationships do
    belongs_to :member, Bookshelf.Accounts.User do
      attribute_writable? false
      source_attribute :member_id
    end
  end
end
//- /priv/repo/migrations/20250309100000_create_invoices.exs
defmodule Bookshelf.Repo.Migrations.CreateInvoices do
  use Ecto.Migration

  def change do
    create table(:invoices, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :member_id, :uuid, null: false
    end
  end
end
"#]);
    let ix = index(&fixture);
    assert_eq!(ix.of("nullability-mismatch"), Vec::<String>::new());
    assert_eq!(ix.of("extra-column"), Vec::<String>::new());
}

#[test]
fn tables_owned_by_libraries_need_no_resource() {
    let fixture = project(&[r#"
//- /priv/repo/migrations/20250310100000_add_oban_jobs_table.exs
defmodule Bookshelf.Repo.Migrations.AddObanJobsTable do
  use Ecto.Migration

  def up do
    create table(:oban_jobs) do
      add :state, :string, null: false, default: "available"
      add :queue, :string, null: false, default: "default"
      add :worker, :string, null: false
      add :args, :map, null: false
    end

    create table(:oban_peers, primary_key: false) do
      add :name, :text, null: false, primary_key: true
      add :node, :text, null: false
    end

    create table(:shelf_audits) do
      add :note, :text
    end
  end

  def down do
    drop table(:shelf_audits)
    drop table(:oban_peers)
    drop table(:oban_jobs)
  end
end
"#]);
    let ix = index(&fixture);
    assert_eq!(
        ix.of("table-without-resource"),
        vec![
            "priv/repo/migrations/20250310100000_add_oban_jobs_table.exs:17: \
             table public.shelf_audits is mapped by no resource or schema"
        ]
    );
}

#[test]
fn ignored_references_need_no_foreign_key() {
    let fixture = |reference: &str| {
        project(&[&format!(
            r#"
//- /lib/bookshelf/catalog/branch.ex
defmodule Bookshelf.Catalog.Branch do
  use Ash.Resource,
    domain: Bookshelf.Catalog,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "branches"
    repo Bookshelf.Repo
  end

  attributes do
    uuid_primary_key :id
  end
end
//- /lib/bookshelf/catalog/copy.ex
defmodule Bookshelf.Catalog.Copy do
  use Ash.Resource,
    domain: Bookshelf.Catalog,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "copies"
    repo Bookshelf.Repo

    references do
      reference :branch{reference}
    end
  end

  attributes do
    uuid_primary_key :id
  end

  relationships do
    belongs_to :branch, Bookshelf.Catalog.Branch
  end
end
//- /priv/repo/migrations/20250311100000_create_copies.exs
defmodule Bookshelf.Repo.Migrations.CreateCopies do
  use Ecto.Migration

  def change do
    create table(:branches, primary_key: false) do
      add :id, :uuid, primary_key: true
    end

    create table(:copies, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :branch_id, :uuid
    end
  end
end
"#
        )])
    };
    let ignored = index(&fixture(", ignore?: true"));
    assert_eq!(
        ignored.of("belongs-to-without-foreign-key"),
        Vec::<String>::new()
    );
    let kept = index(&fixture(", on_delete: :delete"));
    assert_eq!(kept.of("belongs-to-without-foreign-key").len(), 1);
}

#[test]
fn projects_side_by_side_with_the_same_repo_name_link_to_their_own_tables() {
    // Two copies of an app under one folder: each resource links to the
    // tables its own project's migrations make.
    let app = |root: &str, column: &str| {
        format!(
            r#"
//- /{root}/mix.exs
defmodule Bookshelf.MixProject do
  use Mix.Project
end
//- /{root}/lib/bookshelf/repo.ex
defmodule Bookshelf.Repo do
  use AshPostgres.Repo, otp_app: :bookshelf
end
//- /{root}/lib/bookshelf/catalog/author.ex
defmodule Bookshelf.Catalog.Author do
  use Ash.Resource,
    domain: Bookshelf.Catalog,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "authors"
    repo Bookshelf.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :{column}, :string, public?: true
  end
end
//- /{root}/priv/repo/migrations/20250312100000_create_authors.exs
defmodule Bookshelf.Repo.Migrations.CreateAuthors do
  use Ecto.Migration

  def change do
    create table(:authors, primary_key: false) do
      add :id, :uuid, primary_key: true
      add :{column}, :text
    end
  end
end
"#
        )
    };
    let fixture = format!("{}{}", app("main", "name"), app("fork", "pen_name"));
    let ix = index(&fixture);
    assert_eq!(ix.of("table-without-resource"), Vec::<String>::new());
    assert_eq!(ix.of("missing-column"), Vec::<String>::new());
    assert_eq!(ix.of("extra-column"), Vec::<String>::new());
}
