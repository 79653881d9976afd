-- ecto-ash-lsp for Neovim 0.11+ in the nvim-lspconfig `lsp/` format: put this
-- folder on 'runtimepath' (or copy the file into your config's `lsp/`), then
-- `vim.lsp.enable("ecto_ash_lsp")`. Override any field with
-- `vim.lsp.config("ecto_ash_lsp", { ... })`.
return require("ecto_ash_lsp").config()
