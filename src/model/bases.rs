//! Base modules applied to their users. A module written as `use
//! MyApp.Resource, table: "items"` gets what the base's `__using__` quote
//! declares (data layer, table, schema, repo, attributes, identities, …),
//! with the settings the quote reads from its options filled in from the
//! user's literal options, following bases built on other bases. Inherited
//! declarations point at the user's `use` line, where diagnostics about
//! them belong; the user's own declarations win on a name clash.

use crate::model::facts::{
    AttributeOrigin, ResourceFacts, ResourceKind, ResourceTemplate, Span, Unresolved, Valued,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The option key under which a base user records `@primary_key false`.
const PRIMARY_KEY_OFF: &str = "@primary_key";

/// The data layer that makes a resource a Postgres table.
const POSTGRES_DATA_LAYER: &str = "AshPostgres.DataLayer";

/// Ecto's key type when nothing sets `@foreign_key_type`.
const DEFAULT_FOREIGN_KEY_TYPE: &str = ":id";

/// Apply base templates to the resources that use them. Resources without a
/// base pass through unchanged; base users whose base is unknown are kept
/// only when they declare a table themselves (a `postgres` or `schema`
/// block). When two templates share a module name the first one wins.
pub fn resolve(
    resources: Vec<ResourceFacts>,
    templates: &[ResourceTemplate],
) -> Vec<ResourceFacts> {
    let mut by_module: BTreeMap<&str, &ResourceTemplate> = BTreeMap::new();
    for t in templates {
        by_module.entry(t.module.as_str()).or_insert(t);
    }
    resources
        .into_iter()
        .filter_map(|r| resolve_one(r, &by_module))
        .collect()
}

fn resolve_one(
    mut user: ResourceFacts,
    templates: &BTreeMap<&str, &ResourceTemplate>,
) -> Option<ResourceFacts> {
    let Some(base) = user.base.clone() else {
        return Some(user);
    };
    let mut visited = BTreeSet::new();
    let inherited = inherit(
        &base.module,
        &base.options,
        &base.unresolved_options,
        templates,
        &mut visited,
    );
    match inherited {
        Some(mut inherited) if inherited.declares => {
            point_at_use(&mut inherited.facts, &base.span);
            let primary_key_off =
                base.options.get(PRIMARY_KEY_OFF).map(String::as_str) == Some("false");
            let mut merged = merge(inherited.facts, user, primary_key_off);
            if merged.kind == ResourceKind::Ecto {
                let key_type = inherited
                    .foreign_key_type
                    .unwrap_or_else(|| DEFAULT_FOREIGN_KEY_TYPE.to_string());
                apply_foreign_key_type(&mut merged, &key_type);
            }
            for message in inherited.notes {
                merged.unresolved.push(Unresolved {
                    span: base.span.clone(),
                    message,
                });
            }
            Some(merged)
        }
        _ => {
            // Nothing of its own to check without the base.
            user.postgres_span.as_ref()?;
            user.unresolved.push(Unresolved {
                span: base.span.clone(),
                message: format!(
                    "base module `{}` was not found (or does not declare a resource); what it declares for this {} is not checked",
                    base.module,
                    if user.kind == ResourceKind::Ecto { "schema" } else { "resource" },
                ),
            });
            Some(user)
        }
    }
}

/// What a base (and the bases it builds on) gives one user.
struct Inherited {
    facts: ResourceFacts,
    /// The chain reaches a quote that uses `Ash.Resource` or `Ecto.Schema`.
    declares: bool,
    foreign_key_type: Option<String>,
    /// Settings left unknown because the user's option was not a literal.
    notes: Vec<String>,
}

fn inherit(
    module: &str,
    options: &BTreeMap<String, String>,
    unresolved_options: &[String],
    templates: &BTreeMap<&str, &ResourceTemplate>,
    visited: &mut BTreeSet<String>,
) -> Option<Inherited> {
    let t = templates.get(module)?;
    // A base that (indirectly) uses itself never compiles; stop rather than loop.
    if !visited.insert(module.to_string()) {
        return None;
    }
    let parent = match &t.resource.base {
        Some(b) => {
            // What this base passes on: its own literal options, then the
            // user's, except keys it computes itself.
            let mut passed = options.clone();
            passed.extend(b.options.clone());
            for key in &b.unresolved_options {
                passed.remove(key);
            }
            let mut unresolved: Vec<String> = unresolved_options
                .iter()
                .filter(|k| !b.options.contains_key(*k))
                .cloned()
                .collect();
            unresolved.extend(b.unresolved_options.iter().cloned());
            Some(inherit(
                &b.module,
                &passed,
                &unresolved,
                templates,
                visited,
            )?)
        }
        None => None,
    };
    let mut facts = t.resource.clone();
    let mut notes = Vec::new();
    let given = |key: &Option<String>| -> Option<Result<String, String>> {
        let key = key.as_ref()?;
        if let Some(v) = options.get(key) {
            return Some(Ok(v.clone()));
        }
        unresolved_options.contains(key).then(|| Err(key.clone()))
    };
    for (key, slot, what) in [
        (&t.table_option, &mut facts.table, "table"),
        (&t.schema_option, &mut facts.schema, "schema"),
    ] {
        match given(key) {
            Some(Ok(value)) => *slot = Some(Valued::Literal { value, span: 0..0 }),
            Some(Err(key)) => {
                *slot = Some(Valued::Unresolved { span: 0..0 });
                notes.push(format!(
                    "option `{key}:` of `use {module}` is not a literal, so the {what} it sets is unknown"
                ));
            }
            None => {}
        }
    }
    match given(&t.repo_option) {
        Some(Ok(repo)) => facts.repo = Some(repo),
        Some(Err(key)) => {
            facts.repo = None;
            notes.push(format!(
                "option `{key}:` of `use {module}` is not a literal, so the repo it sets is unknown"
            ));
        }
        None => {}
    }
    match given(&t.data_layer_option) {
        Some(Ok(layer)) => facts.postgres = layer == POSTGRES_DATA_LAYER,
        Some(Err(key)) => notes.push(format!(
            "option `{key}:` of `use {module}` is not a literal, so the data layer it sets is unknown"
        )),
        None => {}
    }
    facts.unresolved.clear();
    let mut declares = t.resource.base.is_none();
    let mut foreign_key_type = t.foreign_key_type.clone();
    if let Some(parent) = parent {
        declares |= parent.declares;
        foreign_key_type = foreign_key_type.or(parent.foreign_key_type);
        notes.extend(parent.notes);
        facts = merge(parent.facts, facts, false);
    }
    Some(Inherited {
        facts,
        declares,
        foreign_key_type,
        notes,
    })
}

/// Inherited declarations live in another file: point them at the user's
/// `use` line and mark attributes as coming from the base.
fn point_at_use(facts: &mut ResourceFacts, span: &Span) {
    for a in &mut facts.attributes {
        a.span = span.clone();
        a.name_span = span.clone();
        a.origin = AttributeOrigin::Base;
    }
    for b in &mut facts.belongs_to {
        b.span = span.clone();
    }
    for i in &mut facts.identities {
        i.span = span.clone();
    }
    for i in &mut facts.custom_indexes {
        i.span = span.clone();
    }
    for c in &mut facts.check_constraints {
        c.span = span.clone();
    }
    for setting in [&mut facts.table, &mut facts.schema].into_iter().flatten() {
        match setting {
            Valued::Literal { span: s, .. } | Valued::Unresolved { span: s } => *s = span.clone(),
        }
    }
    facts.postgres_span = None;
    facts.unresolved.clear();
}

/// `own` declared on top of `inherited`: own settings and same-named
/// declarations win. An Ecto schema's own primary key (or `@primary_key
/// false`) replaces the inherited one.
fn merge(inherited: ResourceFacts, own: ResourceFacts, primary_key_off: bool) -> ResourceFacts {
    let kind = if own.kind == ResourceKind::Ecto || inherited.kind == ResourceKind::Ecto {
        ResourceKind::Ecto
    } else {
        ResourceKind::Ash
    };
    let own_primary_key = own.attributes.iter().any(|a| a.primary_key);
    let drop_inherited_key = primary_key_off || (kind == ResourceKind::Ecto && own_primary_key);
    let own_names: HashSet<&str> = own.attributes.iter().map(|a| a.name.as_str()).collect();
    let inherited_nullability: HashMap<&str, Option<bool>> = inherited
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.allow_nil))
        .collect();
    let mut attributes: Vec<_> = inherited
        .attributes
        .iter()
        .filter(|a| !own_names.contains(a.name.as_str()))
        .filter(|a| !(a.primary_key && drop_inherited_key))
        .cloned()
        .collect();
    for a in &own.attributes {
        let mut a = a.clone();
        // AshCloak keeps the nullability of the attribute it encrypts.
        if a.origin == AttributeOrigin::Cloak && a.allow_nil.is_none() {
            a.allow_nil = inherited_nullability
                .get(a.name.as_str())
                .copied()
                .flatten();
        }
        attributes.push(a);
    }

    let mut belongs_to: Vec<_> = inherited
        .belongs_to
        .into_iter()
        .filter(|b| !own.belongs_to.iter().any(|o| o.name == b.name))
        .collect();
    belongs_to.extend(own.belongs_to);
    let mut identities: Vec<_> = inherited
        .identities
        .into_iter()
        .filter(|i| !own.identities.iter().any(|o| o.name == i.name))
        .collect();
    identities.extend(own.identities);
    let mut check_constraints: Vec<_> = inherited
        .check_constraints
        .into_iter()
        .filter(|c| !own.check_constraints.iter().any(|o| o.name == c.name))
        .collect();
    check_constraints.extend(own.check_constraints);
    let mut custom_indexes = inherited.custom_indexes;
    custom_indexes.extend(own.custom_indexes);
    let mut identity_index_names = inherited.identity_index_names;
    identity_index_names.extend(own.identity_index_names);
    let mut unresolved = inherited.unresolved;
    unresolved.extend(own.unresolved);
    let mut skip_unique_indexes = inherited.skip_unique_indexes;
    skip_unique_indexes.extend(own.skip_unique_indexes);
    let mut ignored_references = inherited.ignored_references;
    ignored_references.extend(own.ignored_references);
    let mut extensions = inherited.extensions;
    for e in own.extensions {
        if !extensions.contains(&e) {
            extensions.push(e);
        }
    }

    ResourceFacts {
        module: own.module,
        module_span: own.module_span,
        kind,
        postgres: own.postgres || inherited.postgres,
        table: own.table.or(inherited.table),
        schema: own.schema.or(inherited.schema),
        repo: own.repo.or(inherited.repo),
        migrate: own.migrate && inherited.migrate,
        multitenancy: own.multitenancy.or(inherited.multitenancy),
        multitenancy_attribute: own
            .multitenancy_attribute
            .or(inherited.multitenancy_attribute),
        skip_unique_indexes,
        ignored_references,
        postgres_span: own.postgres_span,
        attributes,
        identities,
        belongs_to,
        custom_indexes,
        check_constraints,
        identity_index_names,
        extensions,
        base: own.base,
        unresolved,
    }
}

/// Ecto `belongs_to` keys without `type:` take the base's `@foreign_key_type`.
fn apply_foreign_key_type(r: &mut ResourceFacts, key_type: &str) {
    for b in &mut r.belongs_to {
        if b.attribute_type.is_some() {
            continue;
        }
        b.attribute_type = Some(key_type.to_string());
        for a in &mut r.attributes {
            if a.origin == AttributeOrigin::BelongsTo
                && a.name == b.attribute
                && a.written_type == "belongs_to"
            {
                a.written_type = key_type.to_string();
            }
        }
    }
}

#[cfg(test)]
// Expected rows are written as tuples, one per line, to read like a table.
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;
    use crate::model::facts::{ElixirFacts, Multitenancy};
    use crate::syntax::{elixir, resource};

    fn facts(src: &str) -> ElixirFacts {
        let tree = elixir::parse(src).expect("the grammar loads");
        resource::extract(src, &tree)
    }

    /// Resolve the resources of `users` against the templates of `bases`.
    fn resolved(bases: &str, users: &str) -> Vec<ResourceFacts> {
        let templates = facts(bases).templates;
        resolve(facts(users).resources, &templates)
    }

    fn at(src: &str, needle: &str) -> Span {
        let start = src
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in source"));
        start..start + needle.len()
    }

    /// (name, column, written type, allow_nil, primary key, origin, span).
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a str,
        Option<bool>,
        bool,
        AttributeOrigin,
        Span,
    );

    fn rows(r: &ResourceFacts) -> Vec<Row<'_>> {
        r.attributes
            .iter()
            .map(|a| {
                (
                    a.name.as_str(),
                    a.column.as_str(),
                    a.written_type.as_str(),
                    a.allow_nil,
                    a.primary_key,
                    a.origin,
                    a.span.clone(),
                )
            })
            .collect()
    }

    const METRIC_BASE: &str = r#"defmodule Telemetry.MetricResource do
  defmacro __using__(opts) do
    quote do
      use Ash.Resource,
        domain: Telemetry.Metrics,
        data_layer: AshPostgres.DataLayer

      postgres do
        table unquote(opts[:table])
        schema "metrics"
        repo Telemetry.Repo
      end

      attributes do
        uuid_primary_key :id
        attribute :value, :float, allow_nil?: false
        attribute :host, :string
        create_timestamp :recorded_at
      end

      identities do
        identity :unique_sample, [:host, :recorded_at]
      end
    end
  end
end
"#;

    const METRIC_USERS: &str = r#"defmodule Telemetry.CpuMetric do
  use Telemetry.MetricResource, table: "cpu_metrics"

  attributes do
    attribute :core, :integer, allow_nil?: false
    attribute :host, :ci_string
  end
end

defmodule Telemetry.DiskMetric do
  use Telemetry.MetricResource, table: disk_table()
end

defmodule Telemetry.Unrelated do
  use Telemetry.Unknown, mode: :fast
end
"#;

    #[test]
    fn base_users_get_the_template_with_their_options() {
        let users = METRIC_USERS;
        let out = resolved(METRIC_BASE, users);
        let modules: Vec<&str> = out.iter().map(|r| r.module.as_str()).collect();
        // A user of an unknown base that declares nothing itself is dropped.
        assert_eq!(modules, ["Telemetry.CpuMetric", "Telemetry.DiskMetric"]);

        let cpu = &out[0];
        let use_span = at(users, "use Telemetry.MetricResource");
        assert_eq!(cpu.kind, ResourceKind::Ash);
        assert!(cpu.postgres);
        assert_eq!(
            cpu.table,
            Some(Valued::Literal {
                value: "cpu_metrics".into(),
                span: use_span.clone()
            })
        );
        assert_eq!(
            cpu.schema,
            Some(Valued::Literal {
                value: "metrics".into(),
                span: use_span.clone()
            })
        );
        assert_eq!(cpu.repo.as_deref(), Some("Telemetry.Repo"));
        assert_eq!(cpu.postgres_span, None);
        let base = AttributeOrigin::Base;
        assert_eq!(
            rows(cpu),
            vec![
                (
                    "id",
                    "id",
                    ":uuid",
                    Some(false),
                    true,
                    base,
                    use_span.clone()
                ),
                (
                    "value",
                    "value",
                    ":float",
                    Some(false),
                    false,
                    base,
                    use_span.clone()
                ),
                (
                    "recorded_at",
                    "recorded_at",
                    ":utc_datetime_usec",
                    Some(false),
                    false,
                    base,
                    use_span.clone()
                ),
                // The user's own declarations come last and win on a name clash.
                (
                    "core",
                    "core",
                    ":integer",
                    Some(false),
                    false,
                    AttributeOrigin::Attribute,
                    at(users, "attribute :core, :integer, allow_nil?: false")
                ),
                (
                    "host",
                    "host",
                    ":ci_string",
                    Some(true),
                    false,
                    AttributeOrigin::Attribute,
                    at(users, "attribute :host, :ci_string")
                ),
            ]
        );
        assert_eq!(cpu.identities.len(), 1);
        assert_eq!(cpu.identities[0].span, use_span);
        assert_eq!(cpu.unresolved, vec![]);

        let disk = &out[1];
        let disk_use = at(users, "use Telemetry.MetricResource, table: disk_table()");
        let disk_use = disk_use.start..disk_use.start + "use Telemetry.MetricResource".len();
        assert!(disk.postgres);
        assert_eq!(
            disk.table,
            Some(Valued::Unresolved {
                span: disk_use.clone()
            })
        );
        assert_eq!(
            disk.unresolved,
            vec![Unresolved {
                span: disk_use,
                message: "option `table:` of `use Telemetry.MetricResource` is not a literal, so the table it sets is unknown".into(),
            }]
        );
        assert_eq!(disk.attributes.len(), 4);
    }

    #[test]
    fn chains_of_bases_pass_options_on_and_stop_at_cycles() {
        let bases = r#"defmodule Kit.Tenanted do
  defmacro __using__(opts) do
    quote do
      use Telemetry.MetricResource, table: unquote(opts[:table])
      multitenancy do
        strategy :context
      end
      attributes do
        attribute :org_id, :uuid, allow_nil?: false
      end
    end
  end
end

defmodule Kit.Loop do
  defmacro __using__(opts) do
    quote do
      use Kit.Loop2, unquote(opts)
      attributes do
        attribute :a, :string
      end
    end
  end
end

defmodule Kit.Loop2 do
  defmacro __using__(opts) do
    quote do
      use Kit.Loop, unquote(opts)
    end
  end
end
"#;
        let all = format!("{METRIC_BASE}\n{bases}");
        let users = r#"defmodule Telemetry.TenantMetric do
  use Kit.Tenanted, table: "tenant_metrics"
end

defmodule Telemetry.Looped do
  use Kit.Loop, table: "looped"
end

defmodule Telemetry.LoopedWithTable do
  use Kit.Loop
  postgres do
    table "looped"
  end
end
"#;
        let out = resolved(&all, users);
        let modules: Vec<&str> = out.iter().map(|r| r.module.as_str()).collect();
        assert_eq!(
            modules,
            ["Telemetry.TenantMetric", "Telemetry.LoopedWithTable"]
        );
        let tenant = &out[0];
        assert!(tenant.postgres);
        assert_eq!(
            tenant
                .table
                .as_ref()
                .and_then(|t| t.value())
                .map(String::as_str),
            Some("tenant_metrics")
        );
        assert_eq!(tenant.multitenancy, Some(Multitenancy::Context));
        let names: Vec<&str> = tenant.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["id", "value", "host", "recorded_at", "org_id"]);
        assert!(tenant
            .attributes
            .iter()
            .all(|a| a.origin == AttributeOrigin::Base));

        let looped = &out[1];
        assert!(looped.postgres);
        assert_eq!(
            looped.unresolved.iter().map(|u| u.message.as_str()).collect::<Vec<_>>(),
            ["base module `Kit.Loop` was not found (or does not declare a resource); what it declares for this resource is not checked"]
        );
    }

    #[test]
    fn passed_through_data_layer_and_cloak_over_base_attributes() {
        let bases = r#"defmodule Vault.Secretive do
  defmacro __using__(opts) do
    quote do
      use Ash.Resource, unquote(opts)
      attributes do
        uuid_primary_key :id
        attribute :api_key, :string, allow_nil?: false
      end
    end
  end
end
"#;
        let users = r#"defmodule Vault.Credential do
  use Vault.Secretive, data_layer: AshPostgres.DataLayer, extensions: [AshCloak]
  cloak do
    attributes [:api_key]
  end
end

defmodule Vault.Cached do
  use Vault.Secretive, data_layer: Ash.DataLayer.Ets
end
"#;
        let out = resolved(bases, users);
        assert_eq!(out.len(), 2);
        let credential = &out[0];
        assert!(credential.postgres);
        let cols: Vec<(&str, &str, Option<bool>, AttributeOrigin)> = credential
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.column.as_str(), a.allow_nil, a.origin))
            .collect();
        assert_eq!(
            cols,
            [
                ("id", "id", Some(false), AttributeOrigin::Base),
                (
                    "api_key",
                    "encrypted_api_key",
                    Some(false),
                    AttributeOrigin::Cloak
                ),
            ]
        );
        // Not Postgres, but kept: its primary key types belongs_to keys.
        assert!(!out[1].postgres);
        assert_eq!(out[1].attributes.len(), 2);
    }

    #[test]
    fn ecto_bases_set_primary_and_foreign_key_types() {
        let bases = r#"defmodule Store.Schema do
  defmacro __using__(_) do
    quote do
      use Ecto.Schema
      @primary_key {:id, :binary_id, autogenerate: true}
      @foreign_key_type :binary_id
    end
  end
end

defmodule Store.PlainSchema do
  defmacro __using__(_) do
    quote do
      use Ecto.Schema
    end
  end
end
"#;
        let users = r#"defmodule Store.Cart do
  use Store.Schema
  schema "carts" do
    belongs_to :customer, Store.Customer
    belongs_to :coupon, Store.Coupon, type: :integer
  end
end

defmodule Store.CartItem do
  use Store.Schema
  @primary_key false
  schema "cart_items" do
    field :sku, :string, primary_key: true
  end
end

defmodule Store.Note do
  use Store.PlainSchema
  schema "notes" do
    belongs_to :cart, Store.Cart
  end
end

defmodule Store.Orphan do
  use Store.Missing
  schema "orphans" do
    field :x, :string
  end
end
"#;
        let out = resolved(bases, users);
        let summary: Vec<(&str, Vec<(&str, &str, bool)>)> = out
            .iter()
            .map(|r| {
                (
                    r.module.as_str(),
                    r.attributes
                        .iter()
                        .map(|a| (a.name.as_str(), a.written_type.as_str(), a.primary_key))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "Store.Cart",
                    vec![
                        ("id", ":binary_id", true),
                        ("customer_id", ":binary_id", false),
                        ("coupon_id", ":integer", false)
                    ]
                ),
                ("Store.CartItem", vec![("sku", ":string", true)]),
                (
                    "Store.Note",
                    vec![("id", ":id", true), ("cart_id", ":id", false)]
                ),
                ("Store.Orphan", vec![("x", ":string", false)]),
            ]
        );
        assert!(out
            .iter()
            .all(|r| r.kind == ResourceKind::Ecto && r.postgres));
        assert_eq!(
            out[0].belongs_to[0].attribute_type.as_deref(),
            Some(":binary_id")
        );
        assert_eq!(
            out[3].unresolved.iter().map(|u| u.message.as_str()).collect::<Vec<_>>(),
            ["base module `Store.Missing` was not found (or does not declare a resource); what it declares for this schema is not checked"]
        );
    }

    #[test]
    fn resources_without_a_base_pass_through_and_output_is_deterministic() {
        let users = "defmodule A do\n  use Ash.Resource, data_layer: AshPostgres.DataLayer\n  attributes do\n    uuid_primary_key :id\n  end\nend\n";
        let plain = facts(users).resources;
        assert_eq!(resolve(plain.clone(), &[]), plain);
        let twice = (
            resolved(METRIC_BASE, METRIC_USERS),
            resolved(METRIC_BASE, METRIC_USERS),
        );
        assert_eq!(twice.0, twice.1);
    }
}
