//! Editor features as pure functions over a [`Snapshot`] of the model: hover,
//! go to definition, references and symbols. Answers are plain structs with
//! byte ranges into workspace files; only `lsp/` turns them into protocol
//! types and positions.

pub mod actions;
pub mod fixes;
pub mod generate;
pub mod hover;
pub mod navigation;
pub mod subject;
pub mod symbols;

use crate::checks::{self, Finding};
use crate::model::analysis::{analyze, Analysis};
use crate::model::facts::Span;
use crate::model::workspace::{SourceFile, Workspace};
use std::sync::Arc;

/// One consistent state of a workspace: its files, the analysis made from
/// them and the findings. Cheap to clone; never changed once built, so a
/// request can read it while the next edit builds the next one.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub workspace: Arc<Workspace>,
    pub analysis: Arc<Analysis>,
    pub findings: Arc<Vec<Finding>>,
}

impl Snapshot {
    /// Analyse and check a workspace.
    pub fn new(workspace: Workspace) -> Snapshot {
        let analysis = analyze(&workspace);
        let findings = checks::run(&workspace, &analysis);
        Snapshot {
            workspace: Arc::new(workspace),
            analysis: Arc::new(analysis),
            findings: Arc::new(findings),
        }
    }

    /// The workspace to change before [`Snapshot::reanalyze`]; cloned first
    /// only if a reader still holds this snapshot's copy.
    pub fn workspace_mut(&mut self) -> &mut Workspace {
        Arc::make_mut(&mut self.workspace)
    }

    /// Analyse and check the workspace again after it changed.
    pub fn reanalyze(&mut self) {
        let analysis = analyze(&self.workspace);
        self.findings = Arc::new(checks::run(&self.workspace, &analysis));
        self.analysis = Arc::new(analysis);
    }

    pub fn file(&self, rel: &str) -> Option<&SourceFile> {
        self.workspace.files.get(rel)
    }

    /// 1-based line of a byte offset in a workspace file (0 when unknown).
    pub fn line_of(&self, rel: &str, offset: usize) -> usize {
        self.file(rel)
            .map(|f| f.lines.line_of(offset) + 1)
            .unwrap_or(0)
    }

    /// `file:line` of a place, the way hovers show it.
    pub fn place(&self, rel: &str, span: &Span) -> String {
        format!("{rel}:{}", self.line_of(rel, span.start))
    }
}

/// A place in a workspace file: where a definition or reference is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// Workspace-relative path, `/`-separated.
    pub file: String,
    pub span: Span,
}

impl Target {
    pub fn new(file: &str, span: Span) -> Target {
        Target {
            file: file.to_string(),
            span,
        }
    }
}

/// Whether `offset` falls in `span` (its end included, so a cursor right
/// after a name still counts as on it).
fn covers(span: &Span, offset: usize) -> bool {
    span.start <= offset && offset <= span.end
}

#[cfg(test)]
pub(crate) mod fixture {
    //! Fixtures in the rust-analyzer style for the ide tests: files start
    //! with `//- /path`, and `$0` marks the cursor.

    use super::Snapshot;
    use crate::model::workspace::Workspace;
    use std::path::Path;

    /// Index a fixture; returns the snapshot and the cursor (file, offset).
    pub fn load(fixture: &str) -> (Snapshot, Option<(String, usize)>) {
        let mut files: Vec<(String, String)> = Vec::new();
        for line in fixture.split_inclusive('\n') {
            if let Some(path) = line.trim_start().strip_prefix("//- /") {
                files.push((path.trim().to_string(), String::new()));
            } else if let Some((_, text)) = files.last_mut() {
                text.push_str(line);
            }
        }
        let mut cursor = None;
        for (path, text) in &mut files {
            let indent = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            let dedented: String = text
                .lines()
                .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
                .collect::<Vec<_>>()
                .join("\n")
                + "\n";
            *text = match dedented.find("$0") {
                Some(at) => {
                    cursor = Some((path.clone(), at));
                    dedented.replacen("$0", "", 1)
                }
                None => dedented,
            };
        }
        let ws = Workspace::from_memory(Path::new("/fixture"), files).unwrap_or_default();
        (Snapshot::new(ws), cursor)
    }

    /// A resource, a repo and two migrations of its table, shared by the
    /// ide tests. `$0` goes wherever a test needs it.
    pub const ACCOUNTS: &str = r#"
//- /mix.exs
defmodule Shop.MixProject do
  use Mix.Project
end
//- /lib/shop/repo.ex
defmodule Shop.Repo do
  use AshPostgres.Repo, otp_app: :shop
end
//- /lib/shop/accounts/user.ex
defmodule Shop.Accounts.User do
  use Ash.Resource, domain: Shop.Accounts, data_layer: AshPostgres.DataLayer

  postgres do
    table "users"
    repo Shop.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :email, :string, allow_nil?: false
    attribute :nickname, :string
  end

  identities do
    identity :unique_email, [:email]
  end

  relationships do
    belongs_to :team, Shop.Accounts.Team
  end
end
//- /priv/repo/migrations/20240101000000_create_users.exs
defmodule Shop.Repo.Migrations.CreateUsers do
  use Ecto.Migration

  def change do
    create table(:users, primary_key: false) do
      add :id, :uuid, primary_key: true, default: fragment("gen_random_uuid()")
      add :email, :string, null: false
      add :team_id, :uuid
    end

    create unique_index(:users, [:email])
  end
end
//- /priv/repo/migrations/20240202000000_add_nickname.exs
defmodule Shop.Repo.Migrations.AddNickname do
  use Ecto.Migration

  def change do
    alter table(:users) do
      add :nickname, :text
      add :legacy_code, :string
    end
  end
end
"#;

    /// [`ACCOUNTS`] with `$0` put before the first occurrence of `needle`
    /// in `file` (after skipping `skip` bytes of it).
    pub fn accounts_at(file: &str, needle: &str) -> (Snapshot, String, usize) {
        let start = ACCOUNTS.find(&format!("//- /{file}\n")).unwrap_or_default();
        let at = ACCOUNTS
            .get(start..)
            .and_then(|rest| rest.find(needle))
            .map(|i| start + i)
            .unwrap_or_default();
        let mut text = ACCOUNTS.to_string();
        text.insert_str(at, "$0");
        let (snap, cursor) = load(&text);
        let (f, o) = cursor.unwrap_or_default();
        (snap, f, o)
    }
}
