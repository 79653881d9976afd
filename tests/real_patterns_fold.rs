//! Migration histories met in long-lived projects that the fold must follow
//! to the database they really build: renames done half in the DSL and half
//! in raw SQL, columns whose creation the model never saw, foreign keys
//! swapped with `modify`, and composite keys of attribute multitenancy.

mod support;

use ecto_ash_lsp::model::fold::FoldedTable;
use support::{index, Indexed};

fn table<'a>(ix: &'a Indexed, qualified: &str) -> &'a FoldedTable {
    match ix.analysis.models.iter().find_map(|m| m.table(qualified)) {
        Some(t) => t,
        None => panic!("no table {qualified}"),
    }
}

/// A vehicle logbook: trips became drives years ago, the index and foreign
/// key were renamed by hand in raw SQL, and a later migration swaps the key
/// for one with `ON DELETE SET NULL`. Two legacy columns came from a
/// data-driven loop the reader cannot follow.
const LOGBOOK: &str = r#"
//- /mix.exs
defmodule Logbook.MixProject do
  use Mix.Project
end
//- /lib/logbook/repo.ex
defmodule Logbook.Repo do
  use Ecto.Repo, otp_app: :logbook, adapter: Ecto.Adapters.Postgres
end
//- /priv/repo/migrations/20190101000000_create_trips.exs
defmodule Logbook.Repo.Migrations.CreateTrips do
  use Ecto.Migration

  def change do
    create table(:trips) do
      add :started_at, :utc_datetime, null: false
      add :ended_at, :utc_datetime
    end

    create table(:positions) do
      add :recorded_at, :utc_datetime, null: false
      add :latitude, :decimal, precision: 8, scale: 6
      add :longitude, :decimal, precision: 9, scale: 6
      add :trip_id, references(:trips)
    end

    create index(:positions, [:trip_id])
  end
end
//- /priv/repo/migrations/20190301000000_add_legacy_columns.exs
defmodule Logbook.Repo.Migrations.AddLegacyColumns do
  use Ecto.Migration

  @legacy [legacy_code: :string, old_label: :string]

  def change do
    for {name, type} <- @legacy do
      alter table(:positions) do
        add name, type
      end
    end
  end
end
//- /priv/repo/migrations/20190601000000_rename_trips_to_drives.exs
defmodule Logbook.Repo.Migrations.RenameTripsToDrives do
  use Ecto.Migration

  def change do
    rename table(:trips), to: table(:drives)
    rename table(:positions), :trip_id, to: :drive_id

    execute "ALTER INDEX positions_trip_id_index RENAME TO positions_drive_id_index",
            "ALTER INDEX positions_drive_id_index RENAME TO positions_trip_id_index"

    execute "ALTER TABLE positions RENAME CONSTRAINT positions_trip_id_fkey TO positions_drive_id_fkey",
            "ALTER TABLE positions RENAME CONSTRAINT positions_drive_id_fkey TO positions_trip_id_fkey"
  end
end
//- /priv/repo/migrations/20200101000000_nilify_positions_on_drive_delete.exs
defmodule Logbook.Repo.Migrations.NilifyPositionsOnDriveDelete do
  use Ecto.Migration

  def up do
    drop constraint(:positions, "positions_drive_id_fkey")
    drop index(:positions, [:drive_id])

    alter table(:positions) do
      modify :drive_id, references(:drives, on_delete: :nilify_all)
      modify :legacy_code, :text, null: false
    end

    rename table(:positions), :old_label, to: :label
  end

  def down do
    rename table(:positions), :label, to: :old_label

    alter table(:positions) do
      modify :drive_id, references(:drives), from: references(:drives, on_delete: :nilify_all)
    end

    create index(:positions, [:drive_id])
  end
end
"#;

#[test]
fn renames_in_dsl_and_raw_sql_leave_one_foreign_key_under_its_new_name() {
    let ix = index(LOGBOOK);
    let positions = table(&ix, "public.positions");
    let keys: Vec<_> = positions
        .foreign_keys
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.columns.as_slice(),
                f.references.as_str(),
                f.referenced_columns.as_slice(),
                f.on_delete.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [(
            "positions_drive_id_fkey",
            &["drive_id".to_string()][..],
            "public.drives",
            &["id".to_string()][..],
            Some("set null"),
        )]
    );
    assert!(
        positions.indexes.is_empty(),
        "{:?}",
        positions
            .indexes
            .iter()
            .map(|i| (&i.name, &i.columns))
            .collect::<Vec<_>>()
    );
    assert!(table(&ix, "public.drives").created.is_some());
}

#[test]
fn columns_made_where_the_reader_cannot_follow_exist_after_modify_and_rename() {
    let ix = index(LOGBOOK);
    let positions = table(&ix, "public.positions");
    assert!(positions.partial);
    let legacy = positions.column("legacy_code");
    assert_eq!(
        legacy.map(|c| (c.pg_type.as_deref(), c.null, c.null_known)),
        Some((Some("text"), false, true))
    );
    let label = positions.column("label");
    assert_eq!(
        label.map(|c| (c.pg_type.as_deref(), c.null_known)),
        Some((None, false))
    );
    assert!(positions.column("old_label").is_none());
    let mut names: Vec<&str> = positions.columns.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "drive_id",
            "id",
            "label",
            "latitude",
            "legacy_code",
            "longitude",
            "recorded_at"
        ]
    );
}

/// The same history in an Ash project, with a resource over `positions`:
/// the drift checks agree with the folded table and the hand-written
/// renames are judged for re-runs.
#[test]
fn a_resource_over_the_renamed_table_sees_no_drift() {
    let fixture = LOGBOOK.replace(
        "use Ecto.Repo, otp_app: :logbook, adapter: Ecto.Adapters.Postgres",
        "use AshPostgres.Repo, otp_app: :logbook",
    ) + r#"
//- /lib/logbook/drive.ex
defmodule Logbook.Drive do
  use Ash.Resource, domain: Logbook, data_layer: AshPostgres.DataLayer

  postgres do
    table "drives"
    repo Logbook.Repo
  end

  attributes do
    integer_primary_key :id
    attribute :started_at, :utc_datetime, allow_nil?: false
    attribute :ended_at, :utc_datetime
  end
end
//- /lib/logbook/position.ex
defmodule Logbook.Position do
  use Ash.Resource, domain: Logbook, data_layer: AshPostgres.DataLayer

  postgres do
    table "positions"
    repo Logbook.Repo
  end

  attributes do
    integer_primary_key :id
    attribute :recorded_at, :utc_datetime, allow_nil?: false
    attribute :latitude, :decimal
    attribute :longitude, :decimal
    attribute :legacy_code, :string, allow_nil?: false
    attribute :label, :string, allow_nil?: false
  end

  relationships do
    belongs_to :drive, Logbook.Drive, attribute_type: :integer
  end
end
"#;
    let ix = index(&fixture);
    for code in [
        "missing-column",
        "column-type-mismatch",
        "nullability-mismatch",
        "belongs-to-without-foreign-key",
    ] {
        assert!(ix.of(code).is_empty(), "{code}: {:?}", ix.of(code));
    }
    let renames: Vec<String> = ix
        .findings
        .iter()
        .filter(|f| f.code() == "non-idempotent-statement")
        .filter(|f| f.message.starts_with("renaming"))
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(
        renames,
        [
            "renaming public.trips to drives fails when re-run: the old name no longer exists (42P01 undefined_table)",
            "renaming column trip_id to drive_id on public.positions fails when re-run (42703 undefined_column)",
            "renaming index positions_trip_id_index to positions_drive_id_index fails when re-run: the old name no longer exists (42P01 undefined_table)",
            "renaming constraint positions_trip_id_fkey to positions_drive_id_fkey on public.positions fails when re-run (42704 undefined_object)",
            "renaming column old_label to label on public.positions fails when re-run (42703 undefined_column)",
        ]
    );
}

/// Attribute multitenancy: every key into a tenant-scoped table is
/// composite (`with: [school_id: :school_id]`), as the generator writes it.
const SCHOOLS: &str = r#"
//- /mix.exs
defmodule Campus.MixProject do
  use Mix.Project
end
//- /lib/campus/repo.ex
defmodule Campus.Repo do
  use AshPostgres.Repo, otp_app: :campus
end
//- /lib/campus/teacher.ex
defmodule Campus.Teacher do
  use Ash.Resource, domain: Campus, data_layer: AshPostgres.DataLayer

  postgres do
    table "staff"
    repo Campus.Repo
  end

  multitenancy do
    strategy :attribute
    attribute :school_id
  end

  attributes do
    uuid_primary_key :id
    attribute :school_id, :uuid, allow_nil?: false
  end
end
//- /lib/campus/class.ex
defmodule Campus.Class do
  use Ash.Resource, domain: Campus, data_layer: AshPostgres.DataLayer

  postgres do
    table "classes"
    repo Campus.Repo
  end

  multitenancy do
    strategy :attribute
    attribute :school_id
  end

  attributes do
    uuid_primary_key :id
    attribute :school_id, :uuid, allow_nil?: false
  end

  relationships do
    belongs_to :teacher, Campus.Teacher
  end
end
//- /priv/repo/migrations/20240101000000_create_staff_and_classes.exs
defmodule Campus.Repo.Migrations.CreateStaffAndClasses do
  use Ecto.Migration

  def up do
    create table(:staff, primary_key: false) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :school_id, :uuid, null: false
    end

    create unique_index(:staff, [:id, :school_id], name: "staff_id_school_id_index")

    create table(:classes, primary_key: false) do
      add :id, :uuid, null: false, default: fragment("gen_random_uuid()"), primary_key: true
      add :school_id, :uuid, null: false

      add :teacher_id,
          references(:staff,
            column: :id,
            with: [school_id: :school_id],
            match: :full,
            name: "classes_teacher_id_fkey",
            type: :uuid,
            prefix: "public"
          )
    end
  end

  def down do
    drop table(:classes)
    drop table(:staff)
  end
end
"#;

#[test]
fn composite_keys_cover_the_tenant_column_and_satisfy_belongs_to() {
    let ix = index(SCHOOLS);
    let classes = table(&ix, "public.classes");
    let [fk] = classes.foreign_keys.as_slice() else {
        panic!("{:?}", classes.foreign_keys);
    };
    assert_eq!(fk.name, "classes_teacher_id_fkey");
    assert_eq!(fk.columns, ["teacher_id", "school_id"]);
    assert_eq!(fk.references, "public.staff");
    assert_eq!(fk.referenced_columns, ["id", "school_id"]);
    assert!(
        ix.of("belongs-to-without-foreign-key").is_empty(),
        "{:?}",
        ix.of("belongs-to-without-foreign-key")
    );
    assert!(ix.of("missing-column").is_empty());
}
