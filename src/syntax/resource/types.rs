//! Type modules an attribute may name, read for how they store values:
//! `use Ash.Type.Enum` (text), `use Ash.Type.NewType, subtype_of: …` (its
//! subtype), embedded resources and typed structs (a map), and a custom
//! `use Ash.Type` whose `storage_type/1` returns a literal Ecto type.

use super::{option, Dsl, Reader, UseCall};
use crate::model::facts::{TypeModuleFacts, TypeStorage};
use crate::syntax::elixir::{
    body_statements, call_name, keyword_args, positional_args, ModuleNode, Value,
};
use tree_sitter::Node;

/// What a module's `use` says about the type it defines, if it defines one
/// whose storage the source tells.
pub(super) fn read(
    reader: &Reader,
    module: &ModuleNode,
    uses: &[UseCall],
) -> Option<TypeModuleFacts> {
    let storage = uses
        .iter()
        .find_map(|u| storage_of_use(reader, module, u))?;
    Some(TypeModuleFacts {
        module: module.name.clone(),
        module_span: module.name_span.clone(),
        storage,
    })
}

fn storage_of_use(reader: &Reader, module: &ModuleNode, u: &UseCall) -> Option<TypeStorage> {
    let options = keyword_args(u.call, reader.src);
    match u.module.as_str() {
        // Enum values are stored by their string form.
        "Ash.Type.Enum" => Some(TypeStorage::Ash(":string".into())),
        "Ash.TypedStruct" => Some(TypeStorage::Ash(":map".into())),
        "Ash.Type.NewType" => {
            let subtype = option(&options, "subtype_of")?;
            reader.written_type(subtype).map(TypeStorage::Ash)
        }
        "Ash.Resource" => {
            let layer = option(&options, "data_layer")?;
            let embedded =
                matches!(reader.value(layer), Dsl::Known(Value::Atom(a)) if a == "embedded");
            embedded.then(|| TypeStorage::Ash(":map".into()))
        }
        "Ash.Type" => storage_type_function(reader, module).map(TypeStorage::Ecto),
        _ => None,
    }
}

/// `def storage_type(_), do: :string` (or its block form, or arity 0): the
/// literal Ecto type it returns.
fn storage_type_function(reader: &Reader, module: &ModuleNode) -> Option<String> {
    let src = reader.src;
    module.body.iter().find_map(|stmt| {
        if call_name(*stmt, src) != Some("def") {
            return None;
        }
        let head = positional_args(*stmt).first().copied()?;
        let name = match head.kind() {
            "identifier" => reader.text(head),
            _ => call_name(head, src)?,
        };
        if name != "storage_type" {
            return None;
        }
        match body_statements(*stmt, src).as_slice() {
            [only] => literal_type(reader, *only),
            _ => None,
        }
    })
}

fn literal_type(reader: &Reader, node: Node) -> Option<String> {
    match node.kind() {
        "atom" | "quoted_atom" | "tuple" => reader.written_type(node),
        _ => None,
    }
}
