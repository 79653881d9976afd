[
  import_deps: [:ash_cloak, :ash_postgres, :ash, :ecto, :ecto_sql],
  subdirectories: ["priv/*/migrations"],
  plugins: [Spark.Formatter],
  inputs: ["*.{ex,exs}", "{config,lib,test}/**/*.{ex,exs}", "priv/*/seeds.exs"]
]
