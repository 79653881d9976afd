; The structure of an Ecto migration module that the extractor walks from:
; its `use` lines and its function definitions. Statements inside function
; bodies are walked in Rust (src/syntax/migration.rs).

; `use Ecto.Migration` (or any `use Some.Module, opts`).
(call
  target: (identifier) @_use
  (#eq? @_use "use")
  (arguments
    .
    (alias) @migration.use.module)) @migration.use

; `def name do … end`, `def name, do: …`.
(call
  target: (identifier) @migration.function.kind
  (#any-of? @migration.function.kind "def" "defp")
  (arguments
    .
    (identifier) @migration.function.name)) @migration.function

; `def name(params) do … end`.
(call
  target: (identifier) @migration.function.kind
  (#any-of? @migration.function.kind "def" "defp")
  (arguments
    .
    (call
      target: (identifier) @migration.function.name))) @migration.function

; `def name(params) when guard do … end`.
(call
  target: (identifier) @migration.function.kind
  (#any-of? @migration.function.kind "def" "defp")
  (arguments
    .
    (binary_operator
      left: [
        (call target: (identifier) @migration.function.name)
        (identifier) @migration.function.name
      ]
      operator: "when"))) @migration.function
