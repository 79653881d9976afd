import Config

config :demo,
  ecto_repos: [Demo.Repo],
  ash_domains: [Demo.Accounts, Demo.Platform, Demo.Metrics]

config :ash,
  allow_forbidden_field_for_relationships_by_default?: true,
  include_embedded_source_by_default?: false,
  show_keysets_for_all_actions?: false,
  default_page_type: :keyset,
  policies: [no_filter_static_forbidden_reads?: false]

config :spark,
  formatter: [
    remove_parens?: true,
    "Ash.Resource": [
      section_order: [
        :postgres,
        :cloak,
        :attributes,
        :relationships,
        :identities,
        :actions
      ]
    ],
    "Ash.Domain": [section_order: [:resources]]
  ]

import_config "#{config_env()}.exs"
