// Expected rows are written as tuples, one per line, to read like a table.
#![allow(clippy::type_complexity)]

use super::*;
use crate::model::facts::{
    AttributeFacts, AttributeOrigin, BelongsToFacts, CheckConstraintFacts, CustomIndexFacts,
    IdentityFacts, Multitenancy, RepoConfigFacts, RepoFacts, ResourceTemplate, Valued,
};

fn facts(src: &str) -> ElixirFacts {
    let tree = elixir::parse(src).expect("the grammar loads");
    extract(src, &tree)
}

/// The byte range of the first occurrence of `needle` in `src`.
fn at(src: &str, needle: &str) -> Span {
    let start = src
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in source"));
    start..start + needle.len()
}

/// The byte range of the `nth` (0-based) occurrence of `needle`.
fn nth(src: &str, needle: &str, n: usize) -> Span {
    let start = src
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("{needle:?} #{n} not in source"))
        .0;
    start..start + needle.len()
}

fn only_resource(f: &ElixirFacts) -> &ResourceFacts {
    assert_eq!(f.resources.len(), 1, "resources: {:#?}", f.resources);
    &f.resources[0]
}

fn attribute<'a>(r: &'a ResourceFacts, name: &str) -> &'a AttributeFacts {
    r.attributes
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no attribute {name} in {:#?}", r.attributes))
}

/// (name, written type, column, allow_nil, primary key, default, origin).
type Row<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<bool>,
    bool,
    Option<&'a str>,
    AttributeOrigin,
);

fn rows(r: &ResourceFacts) -> Vec<Row<'_>> {
    r.attributes
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.written_type.as_str(),
                a.column.as_str(),
                a.allow_nil,
                a.primary_key,
                a.default.as_deref(),
                a.origin,
            )
        })
        .collect()
}

fn messages(unresolved: &[Unresolved]) -> Vec<&str> {
    unresolved.iter().map(|u| u.message.as_str()).collect()
}

fn literal(value: &str, span: Span) -> Option<Valued<String>> {
    Some(Valued::Literal {
        value: value.to_string(),
        span,
    })
}

use AttributeOrigin::{Attribute, BelongsTo, Cloak, PrimaryKey, Timestamp};

const TS_DEFAULT: Option<&str> = Some("(now() AT TIME ZONE 'utc')");

const TICKET: &str = r#"defmodule Helpdesk.Support.Ticket do
  use Ash.Resource,
    domain: Helpdesk.Support,
    data_layer: AshPostgres.DataLayer,
    extensions: [AshCloak]

  alias Helpdesk.Accounts.{Organization, User}
  alias Helpdesk.Support.Types

  postgres do
    table "tickets"
    schema "support"
    repo Helpdesk.Repo

    references do
      reference :organization, on_delete: :delete
    end

    custom_indexes do
      index [:organization_id, :status], unique: true, name: "tickets_org_status_index"
      index ["lower(subject)"]
    end

    check_constraints do
      check_constraint :priority, "priority_in_range", check: "priority BETWEEN 1 AND 5"
    end

    identity_index_names unique_reference: "tickets_reference_key"
  end

  attributes do
    uuid_primary_key :id

    attribute :subject, :string do
      allow_nil? false
      public? true
    end

    attribute :body, :string, source: :description, default: ""
    attribute :status, Types.Status, allow_nil?: false, default: :open
    attribute :priority, Ash.Type.Integer
    attribute :tags, {:array, :string}, default: []
    attribute :reference, :ci_string, allow_nil?: false
    attribute :customer_notes, :string, sensitive?: true

    create_timestamp :inserted_at
    update_timestamp :updated_at
  end

  relationships do
    belongs_to :organization, Organization do
      allow_nil? false
    end

    belongs_to :assignee, User, attribute_type: :uuid
    has_many :comments, Helpdesk.Support.Comment
  end

  identities do
    identity :unique_reference, [:organization_id, :reference]
  end

  cloak do
    vault Helpdesk.Vault
    attributes [:customer_notes]
  end

  multitenancy do
    strategy :attribute
    attribute :organization_id
  end

  actions do
    defaults [:read, :destroy]
  end
end
"#;

#[test]
fn realistic_ash_resource_with_every_block() {
    let src = TICKET;
    let f = facts(src);
    let r = only_resource(&f);
    assert_eq!(r.module, "Helpdesk.Support.Ticket");
    assert_eq!(r.module_span, at(src, "Helpdesk.Support.Ticket"));
    assert_eq!(r.kind, ResourceKind::Ash);
    assert!(r.postgres);
    assert_eq!(r.table, literal("tickets", at(src, "\"tickets\"")));
    assert_eq!(r.schema, literal("support", at(src, "\"support\"")));
    assert_eq!(r.repo.as_deref(), Some("Helpdesk.Repo"));
    assert!(r.migrate);
    assert_eq!(r.multitenancy, Some(Multitenancy::Attribute));
    let postgres_start = at(src, "postgres do").start;
    assert_eq!(
        r.postgres_span.as_ref().map(|s| s.start),
        Some(postgres_start)
    );
    assert_eq!(r.base, None);
    assert_eq!(r.unresolved, vec![]);

    assert_eq!(
        rows(r),
        vec![
            (
                "id",
                ":uuid",
                "id",
                Some(false),
                true,
                Some("gen_random_uuid()"),
                PrimaryKey
            ),
            (
                "subject",
                ":string",
                "subject",
                Some(false),
                false,
                None,
                Attribute
            ),
            (
                "body",
                ":string",
                "description",
                Some(true),
                false,
                Some("\"\""),
                Attribute
            ),
            (
                "status",
                "Helpdesk.Support.Types.Status",
                "status",
                Some(false),
                false,
                Some(":open"),
                Attribute
            ),
            (
                "priority",
                "Ash.Type.Integer",
                "priority",
                Some(true),
                false,
                None,
                Attribute
            ),
            (
                "tags",
                "{:array, :string}",
                "tags",
                Some(true),
                false,
                Some("[]"),
                Attribute
            ),
            (
                "reference",
                ":ci_string",
                "reference",
                Some(false),
                false,
                None,
                Attribute
            ),
            // AshCloak: the plain attribute is gone, its ciphertext column takes its place.
            (
                "customer_notes",
                ":binary",
                "encrypted_customer_notes",
                Some(true),
                false,
                None,
                Cloak
            ),
            (
                "inserted_at",
                ":utc_datetime_usec",
                "inserted_at",
                Some(false),
                false,
                TS_DEFAULT,
                Timestamp
            ),
            (
                "updated_at",
                ":utc_datetime_usec",
                "updated_at",
                Some(false),
                false,
                TS_DEFAULT,
                Timestamp
            ),
            (
                "organization_id",
                "belongs_to",
                "organization_id",
                Some(false),
                false,
                None,
                BelongsTo
            ),
            (
                "assignee_id",
                ":uuid",
                "assignee_id",
                Some(true),
                false,
                None,
                BelongsTo
            ),
        ]
    );
    let subject = attribute(r, "subject");
    assert_eq!(subject.name_span, at(src, ":subject"));
    assert_eq!(subject.span.start, at(src, "attribute :subject").start);
    assert!(src[subject.span.clone()].ends_with("end"));
    let notes = attribute(r, "customer_notes");
    assert_eq!(
        notes.span,
        at(src, "attribute :customer_notes, :string, sensitive?: true")
    );
    assert_eq!(notes.name_span, nth(src, ":customer_notes", 1));

    assert_eq!(
        r.belongs_to,
        vec![
            BelongsToFacts {
                name: "organization".into(),
                span: at(
                    src,
                    "belongs_to :organization, Organization do\n      allow_nil? false\n    end"
                ),
                destination: "Helpdesk.Accounts.Organization".into(),
                attribute: "organization_id".into(),
                attribute_type: None,
                allow_nil: Some(false),
                define_attribute: true,
                primary_key: false,
            },
            BelongsToFacts {
                name: "assignee".into(),
                span: at(src, "belongs_to :assignee, User, attribute_type: :uuid"),
                destination: "Helpdesk.Accounts.User".into(),
                attribute: "assignee_id".into(),
                attribute_type: Some(":uuid".into()),
                allow_nil: Some(true),
                define_attribute: true,
                primary_key: false,
            },
        ]
    );
    assert_eq!(
        r.identities,
        vec![IdentityFacts {
            name: "unique_reference".into(),
            span: at(
                src,
                "identity :unique_reference, [:organization_id, :reference]"
            ),
            keys: vec!["organization_id".into(), "reference".into()],
            all_tenants: false,
        }]
    );
    assert_eq!(
        r.custom_indexes,
        vec![
            CustomIndexFacts {
                span: at(src, "index [:organization_id, :status], unique: true, name: \"tickets_org_status_index\""),
                columns: vec!["organization_id".into(), "status".into()],
                name: Some("tickets_org_status_index".into()),
                unique: true,
            },
            CustomIndexFacts {
                span: at(src, "index [\"lower(subject)\"]"),
                columns: vec!["lower(subject)".into()],
                name: None,
                unique: false,
            },
        ]
    );
    assert_eq!(
        r.check_constraints,
        vec![CheckConstraintFacts {
            span: at(src, "check_constraint :priority, \"priority_in_range\", check: \"priority BETWEEN 1 AND 5\""),
            name: "priority_in_range".into(),
            check: Some("priority BETWEEN 1 AND 5".into()),
        }]
    );
    assert_eq!(
        r.identity_index_names,
        BTreeMap::from([(
            "unique_reference".to_string(),
            "tickets_reference_key".to_string()
        )])
    );
    assert!(f.templates.is_empty() && f.repos.is_empty() && f.repo_configs.is_empty());
}

#[test]
fn primary_key_and_timestamp_shorthands() {
    let src = r#"defmodule Shop.Order do
  use Ash.Resource, data_layer: AshPostgres.DataLayer

  attributes do
    uuid_v7_primary_key :id
    integer_primary_key :number
    attribute :code, :string, primary_key?: true
    attribute :note, :string do
      source :remark
      allow_nil? true
    end
    timestamps()
  end
end
"#;
    let f = facts(src);
    let r = only_resource(&f);
    assert_eq!(
        rows(r),
        vec![
            (
                "id",
                ":uuid_v7",
                "id",
                Some(false),
                true,
                Some("uuid_generate_v7()"),
                PrimaryKey
            ),
            (
                "number",
                ":integer",
                "number",
                Some(false),
                true,
                None,
                PrimaryKey
            ),
            (
                "code",
                ":string",
                "code",
                Some(false),
                true,
                None,
                Attribute
            ),
            (
                "note",
                ":string",
                "remark",
                Some(true),
                false,
                None,
                Attribute
            ),
            (
                "inserted_at",
                ":utc_datetime_usec",
                "inserted_at",
                Some(false),
                false,
                TS_DEFAULT,
                Timestamp
            ),
            (
                "updated_at",
                ":utc_datetime_usec",
                "updated_at",
                Some(false),
                false,
                TS_DEFAULT,
                Timestamp
            ),
        ]
    );
    assert_eq!(attribute(r, "inserted_at").span, at(src, "timestamps()"));
    assert_eq!(r.table, None);
}

#[test]
fn bare_timestamps_and_attribute_sources() {
    let src = "defmodule A do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer\n  attributes do\n    timestamps\n  end\nend\n";
    let r = facts(src).resources.remove(0);
    assert_eq!(
        r.attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["inserted_at", "updated_at"]
    );
}

#[test]
fn module_attributes_and_interpolation_resolve_table_names() {
    let src = r##"defmodule Metrics.Sample do
  use Ash.Resource, data_layer: AshPostgres.DataLayer
  @prefix "telemetry"
  @table "#{@prefix}_samples"

  postgres do
    table @table
    schema @prefix
    migrate? false
  end
end
"##;
    let f = facts(src);
    let r = only_resource(&f);
    assert_eq!(r.table, literal("telemetry_samples", nth(src, "@table", 1)));
    assert_eq!(r.schema, literal("telemetry", nth(src, "@prefix", 2)));
    assert!(!r.migrate);
    assert!(r.unresolved.is_empty());
}

#[test]
fn dynamic_declarations_are_unresolved() {
    let src = r#"defmodule Inventory.Item do
  use Ash.Resource, data_layer: AshPostgres.DataLayer

  postgres do
    table table_name()
    repo unquote(repo)
  end

  attributes do
    uuid_primary_key :id
    attribute unquote(name), :string
    attribute :kind, kind_type()

    for field <- [:a, :b] do
      attribute field, :string
    end

    audit_fields()
  end
end
"#;
    let f = facts(src);
    let r = only_resource(&f);
    let table_span = at(src, "table_name()");
    assert_eq!(
        r.table,
        Some(Valued::Unresolved {
            span: table_span.clone()
        })
    );
    assert_eq!(r.repo, None);
    assert_eq!(
        rows(r),
        vec![
            (
                "id",
                ":uuid",
                "id",
                Some(false),
                true,
                Some("gen_random_uuid()"),
                PrimaryKey
            ),
            ("kind", "?", "kind", Some(true), false, None, Attribute),
        ]
    );
    assert_eq!(
        messages(&r.unresolved),
        [
            "the table name `table_name()` cannot be followed statically",
            "the repo `unquote(repo)` cannot be followed statically; the resource is linked by folder",
            "`attribute unquote(name)`: the name is not a literal, so this declaration is not checked",
            "the type `kind_type()` of attribute :kind is not a literal; its column type is not checked",
            "`for` inside the `attributes` block is not followed; what it declares is not checked",
            "`audit_fields` in the attributes block is not an attribute form we know; what it declares is not checked",
        ]
    );
    assert_eq!(r.unresolved[0].span, table_span);
    assert_eq!(r.unresolved[4].span, at(src, "for field <- [:a, :b] do"));
}

#[test]
fn data_layers_decide_postgres() {
    let src = r#"defmodule Catalog.Tag do
  use Ash.Resource, data_layer: Ash.DataLayer.Ets
  attributes do
    integer_primary_key :id
  end
end

defmodule Catalog.Settings do
  use Ash.Resource, data_layer: :embedded
  attributes do
    attribute :color, :string
  end
end

defmodule Catalog.Action do
  use Ash.Resource
  actions do
  end
end

defmodule Catalog.Product do
  alias AshPostgres.DataLayer
  use Ash.Resource, data_layer: DataLayer
  postgres do
    table "products"
  end
end
"#;
    let f = facts(src);
    let summary: Vec<(&str, bool, usize)> = f
        .resources
        .iter()
        .map(|r| (r.module.as_str(), r.postgres, r.attributes.len()))
        .collect();
    // A resource with no data layer and no attributes says nothing we use.
    assert_eq!(
        summary,
        [
            ("Catalog.Tag", false, 1),
            ("Catalog.Settings", false, 1),
            ("Catalog.Product", true, 0)
        ]
    );
}

#[test]
fn relationships_options() {
    let src = r#"defmodule Crm.Contact do
  use Ash.Resource, data_layer: AshPostgres.DataLayer

  relationships do
    belongs_to :account, Crm.Account, source_attribute: :owner_account_id, allow_nil?: false
    belongs_to :team, Crm.Team, define_attribute?: false
    belongs_to :tenant, Crm.Tenant, primary_key?: true, attribute_type: :integer
    many_to_many :lists, Crm.List, through: Crm.ListMembership
    has_one :profile, Crm.Profile
  end

  attributes do
    attribute :team_id, :uuid
  end
end
"#;
    let f = facts(src);
    let r = only_resource(&f);
    let rels: Vec<(&str, &str, &str, Option<&str>, Option<bool>, bool, bool)> = r
        .belongs_to
        .iter()
        .map(|b| {
            (
                b.name.as_str(),
                b.destination.as_str(),
                b.attribute.as_str(),
                b.attribute_type.as_deref(),
                b.allow_nil,
                b.define_attribute,
                b.primary_key,
            )
        })
        .collect();
    assert_eq!(
        rels,
        [
            (
                "account",
                "Crm.Account",
                "owner_account_id",
                None,
                Some(false),
                true,
                false
            ),
            (
                "team",
                "Crm.Team",
                "team_id",
                None,
                Some(true),
                false,
                false
            ),
            (
                "tenant",
                "Crm.Tenant",
                "tenant_id",
                Some(":integer"),
                Some(false),
                true,
                true
            ),
        ]
    );
    assert_eq!(
        rows(r),
        vec![
            (
                "owner_account_id",
                "belongs_to",
                "owner_account_id",
                Some(false),
                false,
                None,
                BelongsTo
            ),
            (
                "tenant_id",
                ":integer",
                "tenant_id",
                Some(false),
                true,
                None,
                BelongsTo
            ),
            (
                "team_id",
                ":uuid",
                "team_id",
                Some(true),
                false,
                None,
                Attribute
            ),
        ]
    );
}

#[test]
fn multitenancy_defaults_to_context() {
    let src = "defmodule A do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer\n  multitenancy do\n    global? true\n  end\n  postgres do\n    table \"a\"\n  end\nend\n";
    assert_eq!(
        facts(src).resources[0].multitenancy,
        Some(Multitenancy::Context)
    );
    let src = src.replace("global? true", "strategy :context");
    assert_eq!(
        facts(&src).resources[0].multitenancy,
        Some(Multitenancy::Context)
    );
}

#[test]
fn nested_modules_get_full_names_and_outer_aliases() {
    let src = r#"defmodule Billing do
  alias Billing.Accounts.Customer

  defmodule Invoice do
    use Ash.Resource, data_layer: AshPostgres.DataLayer

    postgres do
      table "invoices"
      repo Billing.Repo
    end

    relationships do
      belongs_to :customer, Customer
      belongs_to :line, Line
    end
  end

  defmodule Line do
    use Ash.Resource, data_layer: AshPostgres.DataLayer
  end
end
"#;
    let f = facts(src);
    let modules: Vec<&str> = f.resources.iter().map(|r| r.module.as_str()).collect();
    assert_eq!(modules, ["Billing.Invoice", "Billing.Line"]);
    let r = &f.resources[0];
    let destinations: Vec<&str> = r
        .belongs_to
        .iter()
        .map(|b| b.destination.as_str())
        .collect();
    assert_eq!(destinations, ["Billing.Accounts.Customer", "Billing.Line"]);
}

#[test]
fn identity_forms_and_unresolved_keys() {
    let src = r#"defmodule People.User do
  use Ash.Resource, data_layer: AshPostgres.DataLayer
  identities do
    identity :unique_email, :email
    identity :unique_handle, [:handle], eager_check?: true
    identity :unique_dynamic, @keys
  end
  postgres do
    identity_index_names [unique_email: "users_email_key"]
  end
end
"#;
    let f = facts(src);
    let r = only_resource(&f);
    let identities: Vec<(&str, Vec<&str>)> = r
        .identities
        .iter()
        .map(|i| (i.name.as_str(), i.keys.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        identities,
        [
            ("unique_email", vec!["email"]),
            ("unique_handle", vec!["handle"])
        ]
    );
    assert_eq!(
        messages(&r.unresolved),
        ["the keys of identity :unique_dynamic (`@keys`) cannot be followed statically"]
    );
    assert_eq!(
        r.identity_index_names
            .get("unique_email")
            .map(String::as_str),
        Some("users_email_key")
    );
}

const ECTO_SCHEMA: &str = r#"defmodule Forum.Post do
  use Ecto.Schema
  import Ecto.Changeset

  alias Forum.Accounts.Author

  @schema_prefix "forum"
  @primary_key {:id, :binary_id, autogenerate: true}
  @foreign_key_type :binary_id

  schema "posts" do
    field :title, :string
    field :body, :string, source: :content
    field :views, :integer, default: 0
    field :slug
    field :score, :float, virtual: true
    field :state, Ecto.Enum, values: [:draft, :published]
    field :labels, {:array, :string}

    belongs_to :author, Author
    belongs_to :category, Forum.Category, type: :id, foreign_key: :topic_id
    belongs_to :editor, Author, define_field: false

    embeds_one :meta, Forum.Meta
    embeds_many :revisions, Forum.Revision

    has_many :comments, Forum.Comment
    many_to_many :tags, Forum.Tag, join_through: "posts_tags"

    timestamps(type: :utc_datetime, updated_at: :edited_at)
  end

  def changeset(post, attrs), do: cast(post, attrs, [:title])
end
"#;

#[test]
fn ecto_schema_with_prefix_binary_id_belongs_to_embeds_and_timestamps() {
    let src = ECTO_SCHEMA;
    let f = facts(src);
    let r = only_resource(&f);
    assert_eq!(r.module, "Forum.Post");
    assert_eq!(r.kind, ResourceKind::Ecto);
    assert!(r.postgres);
    assert_eq!(r.table, literal("posts", at(src, "\"posts\"")));
    assert_eq!(r.schema, literal("forum", at(src, "\"forum\"")));
    assert_eq!(
        r.postgres_span.as_ref().map(|s| s.start),
        Some(at(src, "schema \"posts\"").start)
    );
    assert_eq!(r.base, None);
    assert_eq!(r.unresolved, vec![]);
    assert_eq!(
        rows(r),
        vec![
            ("id", ":binary_id", "id", None, true, None, PrimaryKey),
            ("title", ":string", "title", None, false, None, Attribute),
            ("body", ":string", "content", None, false, None, Attribute),
            (
                "views",
                ":integer",
                "views",
                None,
                false,
                Some("0"),
                Attribute
            ),
            ("slug", ":string", "slug", None, false, None, Attribute),
            ("state", "Ecto.Enum", "state", None, false, None, Attribute),
            (
                "labels",
                "{:array, :string}",
                "labels",
                None,
                false,
                None,
                Attribute
            ),
            (
                "author_id",
                ":binary_id",
                "author_id",
                None,
                false,
                None,
                BelongsTo
            ),
            ("topic_id", ":id", "topic_id", None, false, None, BelongsTo),
            ("meta", ":map", "meta", None, false, None, Attribute),
            (
                "revisions",
                "{:array, :map}",
                "revisions",
                None,
                false,
                None,
                Attribute
            ),
            (
                "inserted_at",
                ":utc_datetime",
                "inserted_at",
                None,
                false,
                None,
                Timestamp
            ),
            (
                "edited_at",
                ":utc_datetime",
                "edited_at",
                None,
                false,
                None,
                Timestamp
            ),
        ]
    );
    assert_eq!(
        attribute(r, "id").span,
        at(src, "@primary_key {:id, :binary_id, autogenerate: true}")
    );
    let rels: Vec<(&str, &str, &str, Option<&str>, bool)> = r
        .belongs_to
        .iter()
        .map(|b| {
            (
                b.name.as_str(),
                b.destination.as_str(),
                b.attribute.as_str(),
                b.attribute_type.as_deref(),
                b.define_attribute,
            )
        })
        .collect();
    assert_eq!(
        rels,
        [
            (
                "author",
                "Forum.Accounts.Author",
                "author_id",
                Some(":binary_id"),
                true
            ),
            ("category", "Forum.Category", "topic_id", Some(":id"), true),
            (
                "editor",
                "Forum.Accounts.Author",
                "editor_id",
                Some(":binary_id"),
                false
            ),
        ]
    );
    assert!(r.belongs_to.iter().all(|b| b.allow_nil.is_none()));
}

#[test]
fn ecto_default_and_disabled_primary_keys() {
    let src = r#"defmodule Legacy.Event do
  use Ecto.Schema
  schema "events" do
    field :name, :string
    timestamps()
  end
end

defmodule Legacy.Link do
  use Ecto.Schema
  @primary_key false
  @timestamps_opts [type: :utc_datetime_usec, inserted_at: :created_at]
  schema "links" do
    belongs_to :event, Legacy.Event, primary_key: true
    timestamps(updated_at: false)
  end
end

defmodule Legacy.Payload do
  use Ecto.Schema
  embedded_schema do
    field :data, :map
  end
end
"#;
    let f = facts(src);
    assert_eq!(f.resources.len(), 2);
    assert_eq!(
        rows(&f.resources[0]),
        vec![
            ("id", ":id", "id", None, true, None, PrimaryKey),
            ("name", ":string", "name", None, false, None, Attribute),
            (
                "inserted_at",
                ":naive_datetime",
                "inserted_at",
                None,
                false,
                None,
                Timestamp
            ),
            (
                "updated_at",
                ":naive_datetime",
                "updated_at",
                None,
                false,
                None,
                Timestamp
            ),
        ]
    );
    assert_eq!(
        attribute(&f.resources[0], "id").span,
        at(src, "schema \"events\" do")
    );
    assert_eq!(
        rows(&f.resources[1]),
        vec![
            ("event_id", ":id", "event_id", None, true, None, BelongsTo),
            (
                "created_at",
                ":utc_datetime_usec",
                "created_at",
                None,
                false,
                None,
                Timestamp
            ),
        ]
    );
}

#[test]
fn ecto_dynamic_fields_are_unresolved() {
    let src = r#"defmodule Reports.Row do
  use Ecto.Schema
  @table "report_rows"
  schema @table do
    for f <- @fields, do: field(f, :string)
    field :amount, Money.Ecto.Amount.Type
    soft_delete_field()
  end
end
"#;
    let f = facts(src);
    let r = only_resource(&f);
    assert_eq!(r.table, literal("report_rows", nth(src, "@table", 1)));
    assert_eq!(
        attribute(r, "amount").written_type,
        "Money.Ecto.Amount.Type"
    );
    assert_eq!(
        messages(&r.unresolved),
        [
            "`for` inside the `schema` block is not followed; what it declares is not checked",
            "`soft_delete_field` in the schema block is not a field form we know; what it declares is not checked",
        ]
    );
}

const BASE: &str = r#"defmodule Observability.MetricResource do
  @moduledoc "Shared shape of every metric table."

  defmacro __using__(opts) do
    repo = Keyword.get(opts, :repo, Observability.Repo)

    quote do
      use Ash.Resource,
        domain: Observability.Metrics,
        data_layer: AshPostgres.DataLayer

      postgres do
        table unquote(opts[:table])
        schema unquote(Keyword.get(opts, :schema, "metrics"))
        repo unquote(repo)
      end

      attributes do
        uuid_primary_key :id
        attribute :value, :float, allow_nil?: false
        attribute :device_id, :string, allow_nil?: false
        create_timestamp :recorded_at
      end

      identities do
        identity :unique_sample, [:device_id, :recorded_at]
      end
    end
  end
end
"#;

#[test]
fn base_module_template_records_options_it_reads() {
    let src = BASE;
    let f = facts(src);
    assert!(f.resources.is_empty());
    assert_eq!(f.unresolved, vec![]);
    let [t]: &[ResourceTemplate] = f.templates.as_slice() else {
        panic!("one template expected: {:#?}", f.templates);
    };
    assert_eq!(t.module, "Observability.MetricResource");
    assert_eq!(t.table_option.as_deref(), Some("table"));
    assert_eq!(t.schema_option.as_deref(), Some("schema"));
    assert_eq!(t.repo_option.as_deref(), Some("repo"));
    assert_eq!(t.data_layer_option, None);
    assert_eq!(t.foreign_key_type, None);
    let r = &t.resource;
    assert!(r.postgres);
    assert_eq!(r.table, None);
    assert_eq!(
        r.schema,
        literal(
            "metrics",
            at(src, "unquote(Keyword.get(opts, :schema, \"metrics\"))")
        )
    );
    assert_eq!(r.repo.as_deref(), Some("Observability.Repo"));
    assert_eq!(
        rows(r),
        vec![
            (
                "id",
                ":uuid",
                "id",
                Some(false),
                true,
                Some("gen_random_uuid()"),
                PrimaryKey
            ),
            (
                "value",
                ":float",
                "value",
                Some(false),
                false,
                None,
                Attribute
            ),
            (
                "device_id",
                ":string",
                "device_id",
                Some(false),
                false,
                None,
                Attribute
            ),
            (
                "recorded_at",
                ":utc_datetime_usec",
                "recorded_at",
                Some(false),
                false,
                TS_DEFAULT,
                Timestamp
            ),
        ]
    );
    assert_eq!(r.identities.len(), 1);
}

#[test]
fn base_users_record_their_options() {
    let src = r#"defmodule Observability.CpuMetric do
  alias Observability.MetricResource
  use MetricResource, table: "cpu_metrics", rollup: :hourly, partitioned: true

  attributes do
    attribute :core, :integer
  end
end

defmodule Observability.DiskMetric do
  use Observability.MetricResource, table: table_name(), schema: @schema
end

defmodule ObservabilityWeb.PageController do
  use ObservabilityWeb, :controller
end

defmodule Observability.Helpers do
  use Observability.Macros
  def x, do: 1
end
"#;
    let f = facts(src);
    assert_eq!(f.resources.len(), 2, "{:#?}", f.resources);
    let cpu = &f.resources[0];
    assert_eq!(cpu.kind, ResourceKind::Ash);
    assert!(!cpu.postgres);
    assert_eq!(
        cpu.base,
        Some(BaseUse {
            module: "Observability.MetricResource".into(),
            span: at(src, "use MetricResource"),
            options: BTreeMap::from([
                ("table".to_string(), "cpu_metrics".to_string()),
                ("rollup".to_string(), "hourly".to_string()),
                ("partitioned".to_string(), "true".to_string()),
            ]),
            unresolved_options: vec![],
        })
    );
    assert_eq!(
        rows(cpu),
        vec![(
            "core",
            ":integer",
            "core",
            Some(true),
            false,
            None,
            Attribute
        )]
    );
    let disk = &f.resources[1];
    let base = disk.base.as_ref().expect("a base");
    assert!(base.options.is_empty());
    assert_eq!(base.unresolved_options, ["table", "schema"]);
}

#[test]
fn template_option_forms() {
    let src = r#"defmodule Kit.A do
  defmacro __using__(opts) do
    table = Keyword.fetch!(opts, :table)
    quote do
      use Ash.Resource, data_layer: AshPostgres.DataLayer
      postgres do
        table unquote(table)
      end
    end
  end
end

defmodule Kit.B do
  defmacro __using__(opts \\ []) do
    quote location: :keep do
      use Ash.Resource, unquote(opts)
      postgres do
        table unquote(opts[:source] || "b_rows")
      end
    end
  end
end

defmodule Kit.C do
  defmacro __using__(opts) do
    quote do
      use Ash.Resource, data_layer: unquote(opts[:data_layer])
      postgres do
        table unquote(String.downcase(opts[:name]))
      end
    end
  end
end

defmodule Kit.E do
  defmacro __using__(opts) do
    quote do
      use Ash.Resource, unquote(Keyword.merge([data_layer: AshPostgres.DataLayer], opts))
    end
  end
end

defmodule Kit.F do
  defmacro __using__(opts) do
    quote do
      use Ash.Resource, Keyword.merge(unquote(opts), data_layer: AshPostgres.DataLayer)
    end
  end
end

defmodule Kit.D do
  defmacro __using__(_opts) do
    quote do
      import Kit.Helpers
    end
  end
end
"#;
    let f = facts(src);
    let summary: Vec<(
        &str,
        Option<&str>,
        Option<&str>,
        bool,
        Option<Valued<String>>,
    )> = f
        .templates
        .iter()
        .map(|t| {
            (
                t.module.as_str(),
                t.table_option.as_deref(),
                t.data_layer_option.as_deref(),
                t.resource.postgres,
                t.resource.table.clone(),
            )
        })
        .collect();
    let c_table = at(src, "unquote(String.downcase(opts[:name]))");
    assert_eq!(
        summary,
        [
            ("Kit.A", Some("table"), None, true, None),
            (
                "Kit.B",
                Some("source"),
                Some("data_layer"),
                false,
                literal("b_rows", at(src, "unquote(opts[:source] || \"b_rows\")"))
            ),
            (
                "Kit.C",
                None,
                Some("data_layer"),
                false,
                Some(Valued::Unresolved {
                    span: c_table.clone()
                })
            ),
            // Literal defaults the user's options override, or forced over them.
            ("Kit.E", None, Some("data_layer"), true, None),
            ("Kit.F", None, None, true, None),
        ]
    );
    assert_eq!(
        f.unresolved,
        vec![Unresolved {
            span: c_table,
            message: "the table name `unquote(String.downcase(opts[:name]))` cannot be followed statically".into(),
        }]
    );
    assert!(f.templates.iter().all(|t| t.resource.unresolved.is_empty()));
}

#[test]
fn conditional_sections_in_a_base_are_unresolved() {
    let src = r#"defmodule Workflow.TokenResource do
  defmacro __using__(opts) do
    table = Keyword.get(opts, :table, "workflow_tokens")
    tenant? = Keyword.get(opts, :tenant?, false)
    extra = Keyword.get(opts, :do, nil)

    quote do
      use Ash.Resource,
        domain: unquote(opts[:domain]),
        data_layer: AshPostgres.DataLayer

      postgres do
        table unquote(table)
        repo unquote(Keyword.fetch!(opts, :repo))
      end

      if unquote(tenant?) do
        multitenancy do
          strategy :attribute
          attribute :organization_id
        end
      end

      attributes do
        uuid_primary_key :id
      end

      unquote(extra)
    end
  end
end
"#;
    let f = facts(src);
    let t = &f.templates[0];
    assert_eq!(t.table_option.as_deref(), Some("table"));
    assert_eq!(t.repo_option.as_deref(), Some("repo"));
    assert_eq!(
        t.resource.table,
        literal("workflow_tokens", at(src, "unquote(table)"))
    );
    assert_eq!(t.resource.multitenancy, None);
    assert_eq!(
        f.unresolved,
        vec![
            Unresolved {
                span: at(src, "if unquote(tenant?) do"),
                message: "DSL sections inside `if` are not followed; what they declare is not checked".into(),
            },
            Unresolved {
                span: at(src, "unquote(extra)"),
                message: "`unquote(extra)` in a base module's quote is not followed; what it injects is not checked".into(),
            },
        ]
    );
}

#[test]
fn ecto_base_template_and_user() {
    let src = r#"defmodule Store.Schema do
  defmacro __using__(_) do
    quote do
      use Ecto.Schema
      import Ecto.Changeset
      @primary_key {:id, :binary_id, autogenerate: true}
      @foreign_key_type :binary_id
      @schema_prefix "store"
    end
  end
end

defmodule Store.Cart do
  use Store.Schema
  schema "carts" do
    belongs_to :customer, Store.Customer
    belongs_to :coupon, Store.Coupon, type: :integer
  end
end

defmodule Store.Legacy do
  use Store.Schema
  @primary_key false
  schema "legacy" do
    field :code, :string
  end
end
"#;
    let f = facts(src);
    let t = &f.templates[0];
    assert_eq!(t.resource.kind, ResourceKind::Ecto);
    assert_eq!(t.foreign_key_type.as_deref(), Some(":binary_id"));
    assert_eq!(t.resource.schema, literal("store", at(src, "\"store\"")));
    assert_eq!(
        rows(&t.resource),
        vec![("id", ":binary_id", "id", None, true, None, PrimaryKey)]
    );
    let cart = &f.resources[0];
    assert_eq!(cart.kind, ResourceKind::Ecto);
    assert!(cart.postgres);
    assert_eq!(
        rows(cart),
        vec![
            (
                "customer_id",
                "belongs_to",
                "customer_id",
                None,
                false,
                None,
                BelongsTo
            ),
            (
                "coupon_id",
                ":integer",
                "coupon_id",
                None,
                false,
                None,
                BelongsTo
            ),
        ]
    );
    let legacy = &f.resources[1];
    let options = &legacy.base.as_ref().expect("base").options;
    assert_eq!(
        options.get(ecto::PRIMARY_KEY_OFF).map(String::as_str),
        Some("false")
    );
}

#[test]
fn repos_and_their_adapters() {
    let src = r#"defmodule Shop.Repo do
  use Ecto.Repo, otp_app: :shop, adapter: Ecto.Adapters.Postgres
end

defmodule Shop.AshRepo do
  use AshPostgres.Repo, otp_app: :shop
  def installed_extensions, do: ["citext"]
end

defmodule Shop.Analytics do
  use Ecto.Repo, otp_app: :shop, adapter: Ecto.Adapters.SQLite3
end
"#;
    let f = facts(src);
    assert_eq!(
        f.repos,
        vec![
            RepoFacts {
                module: "Shop.Repo".into(),
                span: at(
                    src,
                    "use Ecto.Repo, otp_app: :shop, adapter: Ecto.Adapters.Postgres"
                ),
                otp_app: Some("shop".into()),
                postgres: true,
            },
            RepoFacts {
                module: "Shop.AshRepo".into(),
                span: at(src, "use AshPostgres.Repo, otp_app: :shop"),
                otp_app: Some("shop".into()),
                postgres: true,
            },
            RepoFacts {
                module: "Shop.Analytics".into(),
                span: at(
                    src,
                    "use Ecto.Repo, otp_app: :shop, adapter: Ecto.Adapters.SQLite3"
                ),
                otp_app: Some("shop".into()),
                postgres: false,
            },
        ]
    );
    assert!(f.resources.is_empty());
}

#[test]
fn repo_config_entries() {
    let src = r#"import Config

config :shop, ecto_repos: [Shop.Repo, Shop.Platform.Repo]

config :shop, Shop.Repo,
  username: "postgres",
  database: "shop_dev"

config :shop, Shop.Repo,
  migration_primary_key: [name: :uuid, type: :binary_id],
  migration_default_prefix: "platform"

config :shop, Shop.Platform.Repo,
  priv: "priv/platform",
  migration_primary_key: false

config :shop, Shop.Other.Repo, migration_primary_key: [type: :identity], priv: Path.join("priv", "x")

if config_env() == :prod do
  config :shop, Shop.Repo, migration_default_prefix: "prod"
end
"#;
    let f = facts(src);
    let entries: Vec<(
        &str,
        Option<&str>,
        Option<(String, String)>,
        bool,
        Option<&str>,
    )> = f
        .repo_configs
        .iter()
        .map(|c| {
            (
                c.repo.as_str(),
                c.priv_dir.as_deref(),
                c.migration_primary_key.clone(),
                c.no_migration_primary_key,
                c.migration_default_prefix.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                "Shop.Repo",
                None,
                Some(("uuid".into(), "uuid".into())),
                false,
                Some("platform")
            ),
            (
                "Shop.Platform.Repo",
                Some("priv/platform"),
                None,
                true,
                None
            ),
            (
                "Shop.Other.Repo",
                None,
                Some(("id".into(), "bigint".into())),
                false,
                None
            ),
            ("Shop.Repo", None, None, false, Some("prod")),
        ]
    );
    assert_eq!(
        f.repo_configs[1],
        RepoConfigFacts {
            repo: "Shop.Platform.Repo".into(),
            span: at(src, "config :shop, Shop.Platform.Repo,\n  priv: \"priv/platform\",\n  migration_primary_key: false"),
            priv_dir: Some("priv/platform".into()),
            migration_primary_key: None,
            no_migration_primary_key: true,
            migration_default_prefix: None,
            migration_foreign_key_column: None,
            migration_foreign_key_type: None,
        }
    );
    assert_eq!(
        messages(&f.unresolved),
        ["`priv: Path.join(\"priv\", \"x\")` of Shop.Other.Repo cannot be followed statically"]
    );
}

#[test]
fn repo_config_reads_migration_foreign_key() {
    let src = r#"import Config

config :shop, Shop.Repo, migration_foreign_key: [column: :uuid, type: :binary_id]
config :shop, Shop.Ledger.Repo, migration_foreign_key: [type: :bigint]
config :shop, Shop.Other.Repo, migration_foreign_key: [type: some_type()]
"#;
    let f = facts(src);
    let entries: Vec<(&str, Option<&str>, Option<&str>)> = f
        .repo_configs
        .iter()
        .map(|c| {
            (
                c.repo.as_str(),
                c.migration_foreign_key_column.as_deref(),
                c.migration_foreign_key_type.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("Shop.Repo", Some("uuid"), Some("uuid")),
            ("Shop.Ledger.Repo", None, Some("bigint")),
            ("Shop.Other.Repo", None, None),
        ]
    );
    assert_eq!(
        messages(&f.unresolved),
        ["`migration_foreign_key: [type: some_type()]` of Shop.Other.Repo cannot be followed statically"]
    );
}

#[test]
fn config_calls_outside_config_files_are_ignored() {
    let src = "defmodule A do\n  def config do\n    config :app, A.Repo, priv: \"x\"\n  end\nend\n";
    assert!(facts(src).repo_configs.is_empty());
}

#[test]
fn query_compiles_and_captures_uses_usings_and_configs() {
    let q = resource_query().expect("queries/resource.scm compiles");
    let names: Vec<&str> = q.query.capture_names().to_vec();
    for expected in [
        "use.keyword",
        "use.module",
        "use.call",
        "using.keyword",
        "using.name",
        "using.definition",
        "config.keyword",
        "config.app",
        "config.module",
        "config.call",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let src = "import Config\nconfig :app, App.Repo, priv: \"p\"\ndefmodule B do\n  use App.Base, table: \"t\"\n  defmacro __using__(opts) when is_list(opts) do\n    quote do\n      use Ash.Resource\n    end\n  end\n  use(GenServer)\nend\n";
    let tree = elixir::parse(src).expect("parse");
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&q.query, tree.root_node(), src.as_bytes());
    let mut seen = Vec::new();
    while let Some(m) = matches.next() {
        for c in m.captures {
            let name = names[c.index as usize];
            if !name.ends_with(".keyword")
                && !name.ends_with(".call")
                && !name.ends_with(".definition")
            {
                seen.push(format!("{name}={}", text(c.node, src)));
            }
        }
    }
    assert_eq!(
        seen,
        [
            "config.app=:app",
            "config.module=App.Repo",
            "use.module=App.Base",
            "using.name=__using__",
            "use.module=Ash.Resource",
            "use.module=GenServer",
        ]
    );
}

#[test]
fn bad_input_does_not_panic() {
    let inputs = [
        "",
        "defmodule",
        "defmodule A do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer\n  attributes do\n    attribute :x, \n",
        "defmodule A do\n  use Ash.Resource,\n  postgres do table \"é\n",
        "defmodule B do\n  defmacro __using__(opts) do\n    quote do\n      use Ash.Resource, unquote(\n",
        "\u{0}\u{1}\u{fffd}defmodule \u{7f} do use \u{0} end",
        "defmodule C do\n  use Ecto.Schema\n  @primary_key {\n  schema \"x\" do\n    field\n    belongs_to\n    timestamps(type: )\n  end\nend\n",
        "import Config\nconfig :a, A.Repo, migration_primary_key: [name: 1, type: \"x\"], priv: \nconfig",
        "defmodule D do\n  use Base, table: \"😀\"\n  postgres do\n    table \"😀\"\n    identity_index_names 5\n  end\n  cloak do\n    attributes :x\n  end\nend\n",
        "defmodule E do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer\n  relationships do\n    belongs_to\n    belongs_to :a\n  end\n  identities do\n    identity\n    identity :x\n  end\nend\n",
    ];
    for src in inputs {
        let f = facts(src);
        // Whatever was extracted points inside the file.
        for r in &f.resources {
            for a in &r.attributes {
                assert!(a.span.end <= src.len() && src.get(a.span.clone()).is_some());
            }
            for u in &r.unresolved {
                assert!(src.get(u.span.clone()).is_some());
            }
        }
    }
}

#[test]
fn cloaked_attribute_missing_from_the_resource_keeps_the_entry() {
    let src = "defmodule V do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer, extensions: [AshCloak]\n  cloak do\n    attributes :token\n  end\nend\n";
    let f = facts(src);
    let r = only_resource(&f);
    assert_eq!(
        rows(r),
        vec![(
            "token",
            ":binary",
            "encrypted_token",
            None,
            false,
            None,
            Cloak
        )]
    );
    assert_eq!(attribute(r, "token").span, at(src, ":token"));
}

#[test]
fn nesting_real_code_uses_is_read() {
    // Nesting real code uses is read.
    let nested = format!("defmodule A do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer\n  attributes do\n    attribute :x, {}:string{}\n  end\nend\n", "{:array, ".repeat(20), "}".repeat(20));
    let r = facts(&nested).resources.remove(0);
    assert!(r.attributes[0]
        .written_type
        .starts_with("{:array, {:array, "));
}

#[test]
fn extensions_are_read_from_use_and_base_options() {
    let src = r#"defmodule Library.Accounts.Member do
  alias AshAuthentication, as: Auth

  use Ash.Resource,
    domain: Library.Accounts,
    data_layer: AshPostgres.DataLayer,
    extensions: [Auth, AshGraphql.Resource]

  postgres do
    table "members"
    repo Library.Repo
  end
end

defmodule Library.Loans.Loan do
  use Ash.Resource,
    domain: Library.Loans,
    data_layer: AshPostgres.DataLayer,
    extensions: AshArchival.Resource

  postgres do
    table "loans"
    repo Library.Repo
  end
end

defmodule Library.Loans.Fine do
  use Ash.Resource,
    domain: Library.Loans,
    data_layer: AshPostgres.DataLayer,
    extensions: @extensions ++ [AshJsonApi.Resource]

  postgres do
    table "fines"
    repo Library.Repo
  end
end

defmodule Library.Catalog.Book do
  use Library.Resource, table: "books", extensions: [AshPaperTrail.Resource]
end
"#;
    let f = facts(src);
    let by_module = |m: &str| {
        f.resources
            .iter()
            .find(|r| r.module == m)
            .unwrap_or_else(|| panic!("{m} not read"))
            .extensions
            .clone()
    };
    assert_eq!(
        by_module("Library.Accounts.Member"),
        vec!["AshAuthentication", "AshGraphql.Resource"]
    );
    assert_eq!(
        by_module("Library.Loans.Loan"),
        vec!["AshArchival.Resource"]
    );
    // A computed list may hold any extension.
    assert_eq!(by_module("Library.Loans.Fine"), vec!["?"]);
    assert_eq!(
        by_module("Library.Catalog.Book"),
        vec!["AshPaperTrail.Resource"]
    );
}

#[test]
fn a_base_quote_passing_extensions_on_records_none_itself() {
    let src = r#"defmodule Library.Resource do
  defmacro __using__(opts) do
    quote do
      use Ash.Resource,
        domain: unquote(opts[:domain]),
        data_layer: AshPostgres.DataLayer,
        extensions: unquote(opts[:extensions])

      postgres do
        table unquote(opts[:table])
        repo Library.Repo
      end
    end
  end
end
"#;
    let f = facts(src);
    let [template] = f.templates.as_slice() else {
        panic!("one template expected: {:?}", f.templates);
    };
    assert!(template.resource.extensions.is_empty());
}

#[test]
fn type_modules_record_their_storage() {
    use crate::model::facts::TypeStorage;
    let src = r#"defmodule Kitchen.Orders.Status do
  use Ash.Type.Enum, values: [:placed, :cooking, :served]
end

defmodule Kitchen.Types.Sku do
  use Ash.Type.NewType, subtype_of: :ci_string, constraints: [max_length: 32]
end

defmodule Kitchen.Types.Tags do
  use Ash.Type.NewType, subtype_of: {:array, :string}
end

defmodule Kitchen.Orders.Address do
  use Ash.Resource, data_layer: :embedded

  attributes do
    attribute :street, :string
  end
end

defmodule Kitchen.Types.Hex do
  use Ash.Type

  @impl true
  def storage_type(_constraints), do: :binary

  @impl true
  def cast_input(value, _), do: {:ok, value}
end

defmodule Kitchen.Types.Color do
  use Ash.Type

  def storage_type do
    :string
  end
end

defmodule Kitchen.Types.Opaque do
  use Ash.Type

  def storage_type(constraints), do: Keyword.get(constraints, :storage, :string)
end

defmodule Kitchen.Orders.Order do
  use Ash.Resource, data_layer: AshPostgres.DataLayer
end
"#;
    let f = facts(src);
    let rows: Vec<(&str, &TypeStorage)> = f
        .types
        .iter()
        .map(|t| (t.module.as_str(), &t.storage))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("Kitchen.Orders.Status", &TypeStorage::Ash(":string".into())),
            ("Kitchen.Types.Sku", &TypeStorage::Ash(":ci_string".into())),
            (
                "Kitchen.Types.Tags",
                &TypeStorage::Ash("{:array, :string}".into())
            ),
            ("Kitchen.Orders.Address", &TypeStorage::Ash(":map".into())),
            ("Kitchen.Types.Hex", &TypeStorage::Ecto(":binary".into())),
            ("Kitchen.Types.Color", &TypeStorage::Ecto(":string".into())),
        ]
    );
    assert_eq!(f.types[0].module_span, at(src, "Kitchen.Orders.Status"));
}

#[test]
fn multitenancy_attribute_all_tenants_and_skipped_unique_indexes() {
    let src = r#"defmodule Clinic.Visits.Visit do
  use Ash.Resource, data_layer: AshPostgres.DataLayer

  postgres do
    table "visits"
    repo Clinic.Repo
    skip_unique_indexes [:unique_ticket]
  end

  multitenancy do
    strategy :attribute
    attribute :clinic_id
  end

  identities do
    identity :unique_ticket, [:ticket]
    identity :unique_reference, [:reference], all_tenants?: true
  end
end
"#;
    let f = facts(src);
    let r = only_resource(&f);
    assert_eq!(r.multitenancy, Some(Multitenancy::Attribute));
    assert_eq!(r.multitenancy_attribute.as_deref(), Some("clinic_id"));
    assert_eq!(r.skip_unique_indexes, vec!["unique_ticket"]);
    let flags: Vec<(&str, bool)> = r
        .identities
        .iter()
        .map(|i| (i.name.as_str(), i.all_tenants))
        .collect();
    assert_eq!(
        flags,
        vec![("unique_ticket", false), ("unique_reference", true)]
    );
}

#[test]
fn base_quotes_computing_their_extensions_record_them_as_unknown() {
    let src = r#"defmodule Depot.Resource do
  @default_extensions [Depot.Extensions.Audit]

  defmacro __using__(opts) do
    opts =
      opts
      |> Keyword.update(:extensions, @default_extensions, &(@default_extensions ++ &1))
      |> Keyword.put_new(:data_layer, AshPostgres.DataLayer)

    quote do
      use Ash.Resource, unquote(opts)
    end
  end
end

defmodule Depot.PlainResource do
  defmacro __using__(opts) do
    {_label, opts} = Keyword.pop(opts, :label)

    quote do
      use Ash.Resource, unquote(opts)
    end
  end
end

defmodule Depot.MergedResource do
  defmacro __using__(opts) do
    quote do
      use Ash.Resource,
          unquote(Keyword.merge([extensions: [AshGraphql.Resource]], opts))
    end
  end
end

defmodule Depot.BuiltResource do
  defmacro __using__(opts) do
    resource_opts = Keyword.put(opts, :authorizers, [Ash.Policy.Authorizer])

    quote do
      use Ash.Resource, unquote(resource_opts)
    end
  end
end
"#;
    let f = facts(src);
    let by_module = |m: &str| {
        f.templates
            .iter()
            .find(|t| t.module == m)
            .unwrap_or_else(|| panic!("{m} not read"))
            .resource
            .extensions
            .clone()
    };
    assert_eq!(by_module("Depot.Resource"), vec!["?"]);
    assert_eq!(by_module("Depot.PlainResource"), Vec::<String>::new());
    assert_eq!(
        by_module("Depot.MergedResource"),
        vec!["AshGraphql.Resource"]
    );
    assert_eq!(by_module("Depot.BuiltResource"), vec!["?"]);
}

#[test]
fn a_declared_attribute_shadows_the_belongs_to_key() {
    // Ash skips defining the key when an attribute of that name exists, in
    // whichever order the sections are written.
    let src = r#"defmodule Shop.Billing.Invoice do
  use Ash.Resource, data_layer: AshPostgres.DataLayer

  postgres do
    table "invoices"
    repo Shop.Repo
  end

  relationships do
    belongs_to :customer, Shop.Billing.Customer do
      source_attribute :customer_id
      attribute_writable? false
    end

    belongs_to :plan, Shop.Billing.Plan
  end

  attributes do
    uuid_primary_key :id

    attribute :customer_id, :uuid do
      allow_nil? false
    end
  end
end
"#;
    let f = facts(src);
    let r = only_resource(&f);
    let keys: Vec<(&str, AttributeOrigin, Option<bool>)> = r
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.origin, a.allow_nil))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("plan_id", AttributeOrigin::BelongsTo, Some(true)),
            ("id", AttributeOrigin::PrimaryKey, Some(false)),
            ("customer_id", AttributeOrigin::Attribute, Some(false)),
        ]
    );
    assert_eq!(r.belongs_to.len(), 2);
}
