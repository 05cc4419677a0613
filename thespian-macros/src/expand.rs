//! Generates the code of an actor from its model.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;
use syn::{GenericParam, Generics, Type, Visibility, WherePredicate};

use crate::model::{ActorModel, Arg, Handler, Hook, HookKind};

/// Whether `tokens` mention the identifier `name` anywhere.
fn mentions(tokens: TokenStream, name: &Ident) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => &i == name,
        TokenTree::Group(g) => mentions(g.stream(), name),
        _ => false,
    })
}

/// The type parameters of the actor.
fn type_params(generics: &Generics) -> Vec<Ident> {
    generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(t.ident.clone()),
            _ => None,
        })
        .collect()
}

/// Generics restricted to the parameters in `keep`, with their bounds plus `Send + 'static`, and the
/// where-predicates that mention only them.
fn restricted(generics: &Generics, keep: &[Ident]) -> Generics {
    let mut out = Generics::default();
    for param in &generics.params {
        if let GenericParam::Type(t) = param {
            if keep.contains(&t.ident) {
                let mut t = t.clone();
                t.eq_token = None;
                t.default = None;
                t.bounds.push(syn::parse_quote!(::core::marker::Send));
                t.bounds.push(syn::parse_quote!('static));
                out.params.push(GenericParam::Type(t));
            }
        }
    }
    if let Some(wc) = &generics.where_clause {
        let all = type_params(generics);
        let preds: Vec<&WherePredicate> = wc
            .predicates
            .iter()
            .filter(|p| {
                all.iter()
                    .all(|a| keep.contains(a) || !mentions(p.to_token_stream(), a))
            })
            .collect();
        if !preds.is_empty() {
            out.where_clause = Some(syn::parse_quote!(where #(#preds),*));
        }
    }
    out
}

struct MessageType<'a> {
    handler: &'a Handler,
    /// The actor's type parameters this message carries.
    params: Vec<Ident>,
    /// Whether it needs a marker field (a parameter used only by the reply type).
    marker: bool,
}

impl MessageType<'_> {
    fn fields(&self) -> impl Iterator<Item = (&Ident, &Type)> {
        self.handler.args.iter().filter_map(|a| match a {
            Arg::Field { name, ty } => Some((name, ty)),
            Arg::Context { .. } | Arg::Reply { .. } => None,
        })
    }

    fn is_unit(&self) -> bool {
        self.fields().next().is_none() && !self.marker
    }

    /// `Name<T, U>` (or `Name`).
    fn ty(&self) -> TokenStream {
        if let Some(existing) = &self.handler.existing {
            return existing.to_token_stream();
        }
        let name = &self.handler.message;
        let params = &self.params;
        if params.is_empty() {
            quote!(#name)
        } else {
            quote!(#name<#(#params),*>)
        }
    }

    /// The message type's name as written (`CounterAdd`, or the `#[receive]` type's path).
    fn type_text(&self) -> String {
        match &self.handler.existing {
            Some(existing) => existing.to_token_stream().to_string().replace(' ', ""),
            None => self.handler.message.to_string(),
        }
    }

    /// An expression building this message from variables named like its fields.
    fn construct(&self) -> TokenStream {
        if self.handler.existing.is_some() {
            let (name, _) = self
                .fields()
                .next()
                .expect("a #[receive] handler has one field");
            return quote!(#name);
        }
        let ty_name = &self.handler.message;
        if self.is_unit() {
            return quote!(#ty_name);
        }
        let names = self.fields().map(|(n, _)| n);
        let marker = self
            .marker
            .then(|| quote!(__marker: ::core::marker::PhantomData,));
        quote!(#ty_name { #(#names,)* #marker })
    }

    /// A pattern binding every field to a variable of its name.
    fn destructure(&self) -> TokenStream {
        if self.handler.existing.is_some() {
            return self.construct();
        }
        let ty_name = &self.handler.message;
        if self.is_unit() {
            return quote!(#ty_name);
        }
        let names = self.fields().map(|(n, _)| n);
        quote!(#ty_name { #(#names,)* .. })
    }
}

pub(crate) fn expand(model: ActorModel) -> TokenStream {
    let ActorModel {
        item,
        options,
        handlers,
        hooks,
        capability_check,
        actor_ident,
    } = &model;
    // A path given with `crate = ...` is imported once, under a name of this actor's, and the
    // generated code goes through that name: a wrong path is then one error (at the import),
    // not one per use.
    let (th, crate_import) = match &options.krate {
        Some(path) => {
            // Spanned at the path, so that the error points at it alone.
            let span = syn::spanned::Spanned::span(path);
            let alias = Ident::new(&format!("__thespian_of_{actor_ident}"), span);
            let import = quote::quote_spanned! {span=>
                #[allow(unused_imports, non_camel_case_types)]
                use #path as #alias;
            };
            (quote!(#alias), Some(import))
        }
        None => (quote!(::thespian), None),
    };
    let self_ty = &item.self_ty;
    let all_params = type_params(&item.generics);
    let actor_generics = restricted(&item.generics, &all_params);
    let (impl_g, _, where_g) = actor_generics.split_for_impl();
    let enum_name = options
        .message
        .clone()
        .unwrap_or_else(|| format_ident!("{}Message", actor_ident));
    let ext_name = format_ident!("{}AddrExt", actor_ident);
    let enum_ty = if all_params.is_empty() {
        quote!(#enum_name)
    } else {
        quote!(#enum_name<#(#all_params),*>)
    };
    let default_vis: Visibility = syn::parse_quote!(pub);
    let vis = options.vis.as_ref().unwrap_or(&default_vis);
    let serde_attrs = options.serde.then(|| {
        let path = quote!(#th::__private::serde).to_string().replace(' ', "");
        quote! {
            #[derive(#th::__private::serde::Serialize, #th::__private::serde::Deserialize)]
            #[serde(crate = #path)]
        }
    });
    let derives = &options.derives;
    let user_derives = (!derives.is_empty()).then(|| quote!(#[derive(#(#derives),*)]));

    let messages: Vec<MessageType<'_>> = handlers
        .iter()
        .map(|h| {
            let in_fields = |p: &Ident| {
                h.args.iter().any(|a| match a {
                    Arg::Field { ty, .. } => mentions(ty.to_token_stream(), p),
                    Arg::Context { .. } | Arg::Reply { .. } => false,
                })
            };
            let in_reply = |p: &Ident| {
                h.reply
                    .as_ref()
                    .is_some_and(|r| mentions(r.to_token_stream(), p))
            };
            let params: Vec<Ident> = all_params
                .iter()
                .filter(|p| in_fields(p) || in_reply(p))
                .cloned()
                .collect();
            let marker = params.iter().any(|p| !in_fields(p));
            MessageType {
                handler: h,
                params,
                marker,
            }
        })
        .collect();

    // --- the message structs and their `Message` impls ---------------------------------------
    let structs = messages.iter().map(|m| {
        let h = m.handler;
        if let Some(existing) = &h.existing {
            let reply = h
                .reply
                .clone()
                .map_or_else(|| quote!(()), |r| r.to_token_stream());
            let (mimpl, _, mwhere) = actor_generics.split_for_impl();
            // A retried message is copied for its retry: it must be `Clone`, said at `retry`.
            let retried = h.retry.map(|span| {
                quote::quote_spanned! {span=>
                    fn retried<M: ::core::clone::Clone>() {}
                    retried::<#existing>();
                }
            });
            return quote! {
                // The handler's reply must be the message's declared reply type.
                const _: () = {
                    fn check #mimpl () #mwhere {
                        fn same<M: #th::Message<Reply = R>, R>() {}
                        same::<#existing, #reply>();
                        #retried
                    }
                };
            };
        }
        let name = &h.message;
        let docs = &h.docs;
        let fvis = &h.vis;
        let method = &h.method;
        let summary = format!(
            "The message of [`{actor_ident}::{method}`]; its fields are the handler's arguments."
        );
        let params = &m.params;
        let decl_g = (!params.is_empty()).then(|| quote!(<#(#params),*>));
        let msg_generics = restricted(&item.generics, params);
        let (mimpl, mty, mwhere) = msg_generics.split_for_impl();
        let reply = h
            .reply
            .clone()
            .map_or_else(|| quote!(()), |r| r.to_token_stream());
        let body = if m.is_unit() {
            quote!(;)
        } else {
            let fields = m.fields().map(|(n, t)| quote!(#fvis #n: #t,));
            let marker = m.marker.then(|| {
                let skip = options.serde.then(|| quote!(#[serde(skip)]));
                quote! {
                    #[doc(hidden)]
                    #skip
                    #fvis __marker: ::core::marker::PhantomData<fn() -> (#(#params,)*)>,
                }
            });
            quote!({ #(#fields)* #marker })
        };
        // serde's own errors for a field that cannot be serialized do not say why it must be, nor
        // how to do without: one more error, at the argument's type, says both.
        let wire_check = (options.serde && params.is_empty() && !m.is_unit()).then(|| {
            let checks = m.fields().map(|(_, ty)| {
                quote::quote_spanned! {syn::spanned::Spanned::span(ty)=>
                    wire_field::<#ty>();
                }
            });
            quote! {
                const _: () = {
                    fn wire_field<T: #th::__private::WireField>() {}
                    fn check() {
                        #(#checks)*
                    }
                };
            }
        });
        let constructor = m.marker.then(|| {
            let args = m.fields().map(|(n, t)| quote!(#n: #t));
            let build = m.construct();
            quote! {
                impl #mimpl #name #mty #mwhere {
                    #[doc = "Builds the message."]
                    #[allow(clippy::new_without_default, clippy::too_many_arguments)]
                    #fvis fn new(#(#args),*) -> Self { #build }
                }
            }
        });
        // A retried message is copied for its retry: `Clone` is derived for it (at `retry`, so
        // that a field that cannot be cloned is reported there) unless the actor derives it.
        let clone_derive = h
            .retry
            .filter(|_| !derives.iter().any(|d| d.is_ident("Clone")))
            .map(|span| quote::quote_spanned!(span=> #[derive(::core::clone::Clone)]));
        quote! {
            #[doc = #summary]
            #(#docs)*
            #serde_attrs
            #user_derives
            #clone_derive
            #[allow(private_interfaces, private_bounds, missing_docs)]
            #fvis struct #name #decl_g #body

            impl #mimpl #th::Message for #name #mty #mwhere {
                type Reply = #reply;
            }

            #constructor

            #wire_check
        }
    });

    // --- the enum ------------------------------------------------------------------------------
    let variants = messages.iter().map(|m| {
        let name = &m.handler.variant;
        let ty = m.ty();
        quote!(#name(#ty),)
    });
    let phantom_variant = (!all_params.is_empty()).then(|| {
        let skip = options.serde.then(|| quote!(#[serde(skip)]));
        quote! {
            #[doc(hidden)]
            #skip
            __Phantom(::core::convert::Infallible, ::core::marker::PhantomData<fn() -> (#(#all_params,)*)>),
        }
    });
    let phantom_arm = (!all_params.is_empty())
        .then(|| quote!(#enum_name::__Phantom(never, _) => match never {},));
    let phantom_ref_arm = (!all_params.is_empty())
        .then(|| quote!(#enum_name::__Phantom(never, _) => match *never {},));
    let enum_doc = format!("Every message of [`{actor_ident}`]: the item type of its mailbox.");
    let decl_all = (!all_params.is_empty()).then(|| quote!(<#(#all_params),*>));
    let from_impls = messages.iter().map(|m| {
        let name = &m.handler.variant;
        let ty = m.ty();
        quote! {
            impl #impl_g ::core::convert::From<#ty> for #enum_ty #where_g {
                #[inline]
                fn from(message: #ty) -> Self { #enum_name::#name(message) }
            }
        }
    });

    // --- the Actor impl ------------------------------------------------------------------------
    // Each arm makes its handler's future, wrapped in as many `Either`s as its place asks, so that
    // `handle` returns one future whose size is the largest handler's: no `async` block holding
    // the whole message enum (and its own state) beside the handler's future, in every actor's
    // task. (The model refuses an actor without handlers: there is always an arm.)
    let arm_count = messages.len();
    let arms = messages.iter().enumerate().map(|(place, m)| {
        let h = m.handler;
        let variant = &h.variant;
        let method = &h.method;
        let pattern = m.destructure();
        let call_args = h.args.iter().map(|a| match a {
            Arg::Field { name, .. } => quote!(#name),
            Arg::Context { mutable: true } => quote!(&mut *ctx),
            Arg::Context { mutable: false } => quote!(&*ctx),
            Arg::Reply { ty } => quote!(ctx.reply_handle::<#ty>()),
        });
        let lends_context = h.args.iter().any(|a| matches!(a, Arg::Context { .. }));
        // A `Result` answer is told apart from a plain one: a told error is reported, not
        // dropped (the call is spanned at the return type, where a non-`Debug` error is wrong).
        let answer = match h.reply.as_ref().filter(|_| h.answers && h.fallible) {
            Some(reply) => {
                let text = m.type_text();
                quote::quote_spanned!(reply.span()=> ctx.answer_result(reply, #text))
            }
            None => quote!(ctx.answer(reply)),
        };
        let future = match (h.answers, lends_context) {
            (false, _) => quote!(Self::#method(self, #(#call_args),*)),
            // The context is free once the handler's future is made: the answer goes through it.
            (true, false) => quote! {
                #th::__private::FutureExt::map(
                    Self::#method(self, #(#call_args),*),
                    move |reply| #answer,
                )
            },
            // The handler holds the context while it runs: the answer waits for it in a block.
            (true, true) => quote! {
                async move {
                    let reply = Self::#method(self, #(#call_args),*).await;
                    #answer;
                }
            },
        };
        let future = either_at(&th, place, arm_count, future);
        quote!(#enum_name::#variant(#pattern) => #future,)
    });
    let from_any = messages.iter().map(|m| {
        let variant = &m.handler.variant;
        let ty = m.ty();
        quote! {
            let message = match message.downcast::<#ty>() {
                ::core::result::Result::Ok(m) => return ::core::result::Result::Ok(#enum_name::#variant(*m)),
                ::core::result::Result::Err(other) => other,
            };
        }
    });
    let into_any_arms = messages.iter().map(|m| {
        let variant = &m.handler.variant;
        quote!(#enum_name::#variant(m) => ::std::boxed::Box::new(m),)
    });
    let copy_arms = messages.iter().map(|m| {
        let variant = &m.handler.variant;
        quote! {
            #enum_name::#variant(m) => (&#th::__private::CopyProbe(m)).copy_message().map(#enum_name::#variant),
        }
    });
    // Only asked for: a retry runs a handler's side effects twice (see `Mail::retried`).
    let retried = messages.iter().any(|m| m.handler.retry.is_some()).then(|| {
        let arms = messages.iter().map(|m| {
            let variant = &m.handler.variant;
            let retry = m.handler.retry.is_some();
            quote!(#enum_name::#variant(_) => #retry,)
        });
        quote! {
            fn retried(message: &Self) -> bool {
                match message {
                    #(#arms)*
                    #phantom_ref_arm
                }
            }
        }
    });
    let name_arms = messages.iter().map(|m| {
        let variant = &m.handler.variant;
        let text = m.type_text();
        quote!(#enum_name::#variant(_) => #text,)
    });
    let wire = (options.serde && all_params.is_empty()).then(|| {
        let reply_arms: Vec<TokenStream> = messages
            .iter()
            .map(|m| {
                let variant = &m.handler.variant;
                let ty = m.ty();
                quote! {
                    #enum_name::#variant(_) => (&#th::__private::WireProbe::<<#ty as #th::Message>::Reply>(
                        ::core::marker::PhantomData,
                    )).reply_wire(),
                }
            })
            .collect();
        quote! {
            fn to_wire(
                message: &Self,
                out: &mut ::std::vec::Vec<u8>,
            ) -> ::core::result::Result<#th::__private::ReplyWire, #th::__private::WireError> {
                #[allow(unused_imports)]
                use #th::__private::{WireBySerde as _, WireNever as _};
                #th::__private::encode(message, out)?;
                ::core::result::Result::Ok(match message {
                    #(#reply_arms)*
                })
            }

            fn from_wire(
                bytes: &[u8],
            ) -> ::core::result::Result<(Self, #th::__private::ReplyWire), #th::__private::WireError> {
                #[allow(unused_imports)]
                use #th::__private::{WireBySerde as _, WireNever as _};
                let message: Self = #th::__private::decode(bytes)?;
                let wire = match &message {
                    #(#reply_arms)*
                };
                ::core::result::Result::Ok((message, wire))
            }
        }
    });
    let hook_impls = hooks.iter().map(|hook| hook_impl(hook, &th));
    let type_name = match &options.name {
        Some(name) => quote!(#name),
        None => {
            let ident = actor_ident.to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #ident))
        }
    };
    let check = capability_check.as_ref().map(|f| {
        quote! {
            fn capability_check(capabilities: &#th::Capabilities, requirements: &#th::Capabilities) -> bool {
                Self::#f(capabilities, requirements)
            }
        }
    });

    // --- the address methods -------------------------------------------------------------------
    let ext_methods = messages.iter().map(|m| {
        let h = m.handler;
        let method = &h.method;
        let fvis_doc = format!(
            "Sends [`{}`] to the actor (see [`{actor_ident}::{method}`]).",
            m.type_text()
        );
        let args = m.fields().map(|(n, t)| quote!(#n: #t));
        let build = m.construct();
        let ty = m.ty();
        let kind = if h.fallible {
            quote!(#th::Fallible)
        } else {
            quote!(#th::Plain)
        };
        quote! {
            #[doc = #fvis_doc]
            #[doc = ""]
            #[doc = "Nothing is sent until the `Request` this returns is told (`.tell()`) or asked (`.ask()`)."]
            #[allow(clippy::too_many_arguments)]
            #[inline]
            fn #method(&self, #(#args),*) -> #th::Request<'_, #self_ty, #ty, #kind> {
                #th::Request::new(#th::AsAddr::addr(self), #build)
            }
        }
    });
    let ext_doc = format!(
        "The messages of [`{actor_ident}`] as methods of its address (`Addr<{actor_ident}>`, or the \
         `TimedAddr` made by `addr.timeout(..)`)."
    );
    let ext_generics = {
        let mut g = actor_generics.clone();
        g.params
            .push(syn::parse_quote!(R: #th::AsAddr<#self_ty> + ?::core::marker::Sized));
        g
    };
    let (ext_impl_g, _, ext_where) = ext_generics.split_for_impl();
    let ext_args = (!all_params.is_empty()).then(|| quote!(<#(#all_params),*>));

    quote! {
        #crate_import

        #item

        #(#structs)*

        #[doc = #enum_doc]
        #serde_attrs
        #user_derives
        #[allow(private_interfaces, private_bounds, missing_docs)]
        #vis enum #enum_name #decl_all {
            #(#variants)*
            #phantom_variant
        }

        #(#from_impls)*

        impl #impl_g #th::Actor for #self_ty #where_g {
            type Message = #enum_ty;

            #[inline]
            fn handle(
                &mut self,
                message: Self::Message,
                ctx: &mut #th::Context<Self>,
            ) -> impl ::core::future::Future<Output = ()> + ::core::marker::Send {
                match message {
                    #(#arms)*
                    #phantom_arm
                }
            }

            #(#hook_impls)*

            fn type_name() -> &'static str {
                #type_name
            }

            #check
        }

        impl #impl_g #th::Mail for #enum_ty #where_g {
            fn from_any(
                message: ::std::boxed::Box<dyn ::core::any::Any + ::core::marker::Send>,
            ) -> ::core::result::Result<Self, ::std::boxed::Box<dyn ::core::any::Any + ::core::marker::Send>> {
                #(#from_any)*
                message.downcast::<Self>().map(|m| *m)
            }

            fn into_any(message: Self) -> ::std::boxed::Box<dyn ::core::any::Any + ::core::marker::Send> {
                match message {
                    #(#into_any_arms)*
                    #phantom_arm
                }
            }

            fn copy(message: &Self) -> ::core::option::Option<Self> {
                #[allow(unused_imports)]
                use #th::__private::{CopyByClone as _, CopyNever as _};
                match message {
                    #(#copy_arms)*
                    #phantom_ref_arm
                }
            }

            fn name(message: &Self) -> &'static str {
                match message {
                    #(#name_arms)*
                    #phantom_ref_arm
                }
            }

            #retried

            #wire
        }

        #[doc = #ext_doc]
        #[allow(private_interfaces, private_bounds, missing_docs)]
        #vis trait #ext_name #impl_g: #th::AsAddr<#self_ty> #where_g {
            #(#ext_methods)*
        }

        impl #ext_impl_g #ext_name #ext_args for R #ext_where {}
    }
}

fn hook_impl(hook: &Hook, th: &TokenStream) -> TokenStream {
    let method = &hook.method;
    let call_args: Vec<TokenStream> = hook
        .args
        .iter()
        .map(|a| match a {
            Arg::Field { .. } | Arg::Reply { .. } => quote!(notice),
            Arg::Context { mutable: true } => quote!(&mut *ctx),
            Arg::Context { mutable: false } => quote!(&*ctx),
        })
        .collect();
    let (name, notice) = match hook.kind {
        HookKind::Started => (quote!(started), None),
        HookKind::Stopping => (quote!(stopping), None),
        HookKind::ChildExited => (quote!(child_exited), Some(quote!(#th::ChildActorExited))),
        HookKind::WatchedExited => (
            quote!(watched_exited),
            Some(quote!(#th::WatchedActorExited)),
        ),
        HookKind::DeadLetter => (quote!(dead_letter), Some(quote!(#th::DeadEnvelope))),
        HookKind::Poisoned => (quote!(poisoned), Some(quote!(#th::PoisonMessage))),
        HookKind::Wakeup => (quote!(wakeup), Some(quote!(#th::WakeupMessage))),
    };
    let notice_param = notice.map(|ty| quote!(notice: #ty,));
    quote! {
        async fn #name(&mut self, #notice_param ctx: &mut #th::Context<Self>) {
            let _ = &ctx;
            Self::#method(self, #(#call_args),*).await;
        }
    }
}

/// `future` as the `place`-th of `count` alternatives: `Left` for the first, `Right(Left)` for the
/// second, …, and `Right` all the way for the last (a lone alternative is left as it is).
fn either_at(th: &TokenStream, place: usize, count: usize, future: TokenStream) -> TokenStream {
    let mut wrapped = if place + 1 < count {
        quote!(#th::__private::Either::Left(#future))
    } else {
        future
    };
    for _ in 0..place {
        wrapped = quote!(#th::__private::Either::Right(#wrapped));
    }
    wrapped
}
