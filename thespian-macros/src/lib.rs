//! The `#[actor]` attribute of [thespian](https://docs.rs/thespian). Use it through
//! `thespian::actor`, whose documentation describes what it generates.

use proc_macro::TokenStream;

mod expand;
mod model;

/// Generates an actor from an `impl` block: see `thespian::actor` for the full documentation.
#[proc_macro_attribute]
pub fn actor(attr: TokenStream, item: TokenStream) -> TokenStream {
    let options = match model::parse_options(attr.into()) {
        Ok(o) => o,
        Err(e) => return e.to_compile_error().into(),
    };
    let item = match syn::parse::<syn::ItemImpl>(item) {
        Ok(i) => i,
        Err(e) => {
            return syn::Error::new(
                e.span(),
                "`#[actor]` goes on an `impl` block: `#[actor] impl MyActor { async fn handler(&mut self) {} }`",
            )
            .to_compile_error()
            .into()
        }
    };
    match model::ActorModel::read(options, item) {
        Ok(model) => expand::expand(model).into(),
        Err(e) => e.to_compile_error().into(),
    }
}
