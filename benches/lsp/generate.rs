//! A generated Ash project of the size the benchmark is about: `resources`
//! resources, one hand-written migration each, many plain modules, and one
//! large migration that touches every table.

use std::path::Path;

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const TYPES: &[&str] = &[
    ":string",
    ":integer",
    ":boolean",
    ":map",
    ":utc_datetime_usec",
    ":decimal",
];

/// Where the large migration is written, relative to the project.
pub const LARGE_MIGRATION: &str = "priv/repo/migrations/20990101000000_tune_every_table.exs";

fn write(root: &Path, rel: &str, text: &str) -> std::io::Result<()> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

/// Write the project under `root`; returns the large migration's text.
pub fn project(root: &Path, resources: usize, large_bytes: usize) -> std::io::Result<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    write(
        root,
        "mix.exs",
        "defmodule Big.MixProject do\n  use Mix.Project\nend\n",
    )?;
    write(
        root,
        "lib/big/repo.ex",
        "defmodule Big.Repo do\n  use AshPostgres.Repo, otp_app: :big\nend\n",
    )?;
    for i in 0..resources {
        let columns: Vec<(String, &str)> = (0..4 + rng.below(11))
            .map(|j| (format!("field_{j}"), TYPES[rng.below(TYPES.len())]))
            .collect();
        let mut attributes: String = columns
            .iter()
            .map(|(c, t)| format!("    attribute :{c}, {t}, allow_nil?: true\n"))
            .collect();
        // Some drift, as real projects have: an attribute no migration adds.
        if i % 10 == 0 {
            attributes.push_str("    attribute :note, :string, allow_nil?: true\n");
        }
        let domain = i % 10;
        write(
            root,
            &format!("lib/big/domain_{domain}/thing_{i}.ex"),
            &format!(
                "defmodule Big.Domain{domain}.Thing{i} do
  use Ash.Resource, domain: Big.Domain{domain}, data_layer: AshPostgres.DataLayer

  postgres do
    table \"things_{i}\"
    schema \"platform\"
    repo Big.Repo
  end

  attributes do
    uuid_primary_key :id
{attributes}    create_timestamp :inserted_at
    update_timestamp :updated_at
  end

  identities do
    identity :unique_field_0, [:field_0]
  end
end
"
            ),
        )?;
        let adds: String = columns
            .iter()
            .map(|(c, t)| format!("      add :{c}, {t}\n"))
            .collect();
        let raw = if i % 3 == 0 {
            format!(
                "
    execute \"\"\"
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'things_{i}_f0_check') THEN
        ALTER TABLE #{{@prefix}}.things_{i} ADD CONSTRAINT things_{i}_f0_check CHECK (field_0 IS NOT NULL);
      END IF;
    END
    $$;
    \"\"\"
    execute \"CREATE INDEX IF NOT EXISTS things_{i}_inserted_idx ON #{{@prefix}}.things_{i} (inserted_at)\"
"
            )
        } else {
            String::new()
        };
        write(
            root,
            &format!("priv/repo/migrations/2024{i:04}000000_create_things_{i}.exs"),
            &format!(
                "defmodule Big.Repo.Migrations.CreateThings{i} do
  use Ecto.Migration
  @prefix \"platform\"

  def up do
    create_if_not_exists table(:things_{i}, primary_key: false, prefix: @prefix) do
      add :id, :uuid, primary_key: true, default: fragment(\"gen_random_uuid()\")
{adds}      timestamps(type: :utc_datetime_usec)
    end

    create_if_not_exists unique_index(:things_{i}, [:field_0], prefix: @prefix)
{raw}  end

  def down do
    drop_if_exists table(:things_{i}, prefix: @prefix)
  end
end
"
            ),
        )?;
    }
    let body: String = (0..90)
        .map(|k| {
            format!(
                "  def f{k}(x), do: Enum.map(x, fn y -> y * {k} + String.length(\"{}\") end)\n",
                "z".repeat(40)
            )
        })
        .collect();
    for i in 0..resources * 10 {
        write(
            root,
            &format!("lib/big/other/mod_{i}.ex"),
            &format!(
                "defmodule Big.Other.Mod{i} do\n  @moduledoc \"Plain module {i}.\"\n{body}end\n"
            ),
        )?;
    }
    let large = large_migration(resources, large_bytes);
    write(root, LARGE_MIGRATION, &large)?;
    Ok(large)
}

/// One migration of about `bytes` bytes: indexes and comments on every table,
/// round and round, each statement guarded so re-running it is safe.
pub fn large_migration(resources: usize, bytes: usize) -> String {
    let mut out = String::from(
        "defmodule Big.Repo.Migrations.TuneEveryTable do\n  use Ecto.Migration\n  @prefix \"platform\"\n\n  def up do\n",
    );
    let mut round = 0;
    while out.len() < bytes {
        for i in 0..resources.max(1) {
            if out.len() >= bytes {
                break;
            }
            let column = ["field_0", "field_1", "field_2", "field_3"][round % 4];
            out.push_str(&format!(
                "    # round {round}: look-ups on things_{i}.{column}\n    create_if_not_exists index(:things_{i}, [:{column}], name: :things_{i}_{column}_r{round}_index, prefix: @prefix)\n    execute \"COMMENT ON TABLE #{{@prefix}}.things_{i} IS 'tuned in round {round}'\"\n\n"
            ));
        }
        round += 1;
    }
    out.push_str("  end\n\n  def down do\n  end\nend\n");
    out
}
