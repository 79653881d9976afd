use super::*;

fn facts(src: &str) -> MigrationFacts {
    let tree = elixir::parse(src).expect("parse");
    extract(src, &tree)
}

#[test]
fn smoke() {
    let f = facts("defmodule M do\n  use Ecto.Migration\n  def change do\n    create table(:users)\n  end\nend\n");
    assert_eq!(f.ops.len(), 1);
}
