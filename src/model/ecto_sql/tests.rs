use super::*;
use crate::syntax::elixir::parse;

fn up(src: &str) -> String {
    rendered(src, Way::Up, &RenderSettings::default())
}

fn rendered(src: &str, way: Way, settings: &RenderSettings) -> String {
    let facts = match parse(src) {
        Some(tree) => crate::syntax::migration::extract(src, &tree),
        None => MigrationFacts::default(),
    };
    render(src, &facts, way, settings)
        .iter()
        .map(StatementSql::text)
        .collect()
}

#[test]
fn create_table_has_the_default_key_timestamps_and_references() {
    let src = r#"
defmodule M do
  use Ecto.Migration
  def change do
    create table(:posts, prefix: "blog") do
      add :title, :string, null: false
      add :author_id, references(:users, on_delete: :delete_all)
      timestamps()
    end
  end
end
"#;
    assert_eq!(
        up(src),
        "CREATE TABLE \"blog\".\"posts\" (\"id\" bigserial, \"title\" varchar(255) NOT NULL, \
\"author_id\" bigint, CONSTRAINT \"posts_author_id_fkey\" FOREIGN KEY (\"author_id\") \
REFERENCES \"blog\".\"users\"(\"id\") ON DELETE CASCADE, \"inserted_at\" timestamp(0) NOT NULL, \
\"updated_at\" timestamp(0) NOT NULL, PRIMARY KEY (\"id\"));\n"
    );
}
