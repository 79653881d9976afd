; Calls the resource extractor starts from. Each pattern captures the whole
; call; the Rust side keeps only those written directly in the body it reads
; (a module body, or the quote of a base module's `__using__`).

; `use Some.Module` / `use Some.Module, key: value`: resources, schemas,
; repos and base modules all begin with one.
(call
  target: (identifier) @use.keyword
  (#eq? @use.keyword "use")
  (arguments
    .
    (alias) @use.module)) @use.call

; `defmacro __using__(opts)`, with or without a default or a guard.
(call
  target: (identifier) @using.keyword
  (#eq? @using.keyword "defmacro")
  (arguments
    .
    [
      (call target: (identifier) @using.name)
      (binary_operator left: (call target: (identifier) @using.name))
    ])
  (#eq? @using.name "__using__")) @using.definition

; `config :app, Some.Repo, key: value` in a config file.
(call
  target: (identifier) @config.keyword
  (#eq? @config.keyword "config")
  (arguments
    .
    (atom) @config.app
    .
    (alias) @config.module)) @config.call
