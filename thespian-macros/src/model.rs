//! Reads an `impl` block into the model of an actor: its options, handlers and hooks.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{
    Attribute, Error, FnArg, GenericParam, Ident, ImplItem, ImplItemFn, ItemImpl, LitStr, Pat,
    ReturnType, Token, Type, Visibility,
};

/// Options given in `#[actor(...)]`.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) name: Option<LitStr>,
    pub(crate) message: Option<Ident>,
    pub(crate) serde: bool,
    pub(crate) vis: Option<Visibility>,
    pub(crate) derives: Vec<syn::Path>,
    /// Where the `thespian` crate is, when its package was renamed (default `::thespian`).
    pub(crate) krate: Option<syn::Path>,
    /// `retry`: every message is retried after a panic (the option's span, for its errors).
    pub(crate) retry: Option<proc_macro2::Span>,
}

impl Parse for Options {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut options = Options {
            // Only when the core can carry messages between systems (its feature `remote`).
            serde: cfg!(feature = "remote"),
            ..Options::default()
        };
        while !input.is_empty() {
            // `Ident::parse_any`: `crate` is a keyword.
            let key = Ident::parse_any(input)?;
            match key.to_string().as_str() {
                "name" => {
                    input.parse::<Token![=]>()?;
                    options.name = Some(input.parse()?);
                }
                "message" => {
                    input.parse::<Token![=]>()?;
                    options.message = Some(input.parse()?);
                }
                "vis" => {
                    input.parse::<Token![=]>()?;
                    options.vis = Some(input.parse()?);
                }
                "no_serde" => options.serde = false,
                "retry" => options.retry = Some(key.span()),
                "crate" => {
                    input.parse::<Token![=]>()?;
                    options.krate = Some(input.parse()?);
                }
                "derive" => {
                    let content;
                    syn::parenthesized!(content in input);
                    let paths = content.parse_terminated(syn::Path::parse_mod_style, Token![,])?;
                    options.derives.extend(paths);
                }
                other => {
                    return Err(Error::new(
                        key.span(),
                        format!(
                            "unknown `#[actor]` option `{other}`; the options are \
                             `name = \"stable.Name\"`, `message = EnumName`, `vis = pub(crate)`, \
                             `derive(Clone, Debug)`, `no_serde`, `retry` and \
                             `crate = path::to::thespian`"
                        ),
                    ))
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(options)
    }
}

/// Which lifecycle hook a method implements.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HookKind {
    Started,
    Stopping,
    ChildExited,
    WatchedExited,
    DeadLetter,
    Poisoned,
    Wakeup,
}

impl HookKind {
    fn from_attr(name: &str) -> Option<Self> {
        Some(match name {
            "started" => HookKind::Started,
            "stopping" => HookKind::Stopping,
            "child_exited" => HookKind::ChildExited,
            "watched_exited" => HookKind::WatchedExited,
            "dead_letter" => HookKind::DeadLetter,
            "poisoned" => HookKind::Poisoned,
            "wakeup" => HookKind::Wakeup,
            _ => return None,
        })
    }

    pub(crate) fn attr_name(self) -> &'static str {
        match self {
            HookKind::Started => "started",
            HookKind::Stopping => "stopping",
            HookKind::ChildExited => "child_exited",
            HookKind::WatchedExited => "watched_exited",
            HookKind::DeadLetter => "dead_letter",
            HookKind::Poisoned => "poisoned",
            HookKind::Wakeup => "wakeup",
        }
    }

    /// The name (in `thespian`) of the notice the hook receives, if any.
    fn notice_type(self) -> Option<&'static str> {
        match self {
            HookKind::Started | HookKind::Stopping => None,
            HookKind::ChildExited => Some("ChildActorExited"),
            HookKind::WatchedExited => Some("WatchedActorExited"),
            HookKind::DeadLetter => Some("DeadEnvelope"),
            HookKind::Poisoned => Some("PoisonMessage"),
            HookKind::Wakeup => Some("WakeupMessage"),
        }
    }
}

/// One argument of a handler.
pub(crate) enum Arg {
    /// A message field.
    Field { name: Ident, ty: Type },
    /// The actor's context (`&mut Context<Self>` or `&Context<Self>`).
    Context { mutable: bool },
    /// The handle to answer through later (`ReplyHandle<T>`): the reply type is `T`.
    Reply { ty: Type },
}

pub(crate) struct Handler {
    pub(crate) method: Ident,
    /// The message's variant in the actor's enum: the method's name in `PascalCase`.
    pub(crate) variant: Ident,
    /// The generated message type: the actor's name before the variant's (`CounterAdd`), so
    /// that two actors of one module, or a type of the user's, never make the same name.
    pub(crate) message: Ident,
    pub(crate) vis: Visibility,
    pub(crate) docs: Vec<Attribute>,
    pub(crate) args: Vec<Arg>,
    /// `None` for handlers whose reply is `()`.
    pub(crate) reply: Option<Type>,
    /// Whether the return value answers (false when the handler takes a `ReplyHandle`).
    pub(crate) answers: bool,
    /// Whether the reply is written as a `Result`: its error is flattened into the ask's, and
    /// reported when the message was told.
    pub(crate) fallible: bool,
    /// For `#[receive]`: the existing message type the handler takes as is.
    pub(crate) existing: Option<Type>,
    /// Retried after a panic (`#[message(retry)]`, `#[receive(retry)]` or `#[actor(retry)]`):
    /// where that was asked, for the error if the message cannot be cloned.
    pub(crate) retry: Option<proc_macro2::Span>,
}

pub(crate) struct Hook {
    pub(crate) kind: HookKind,
    pub(crate) method: Ident,
    /// Whether the method takes the context, and where (before or after the notice).
    pub(crate) args: Vec<Arg>,
}

pub(crate) struct ActorModel {
    pub(crate) item: ItemImpl,
    pub(crate) options: Options,
    pub(crate) handlers: Vec<Handler>,
    pub(crate) hooks: Vec<Hook>,
    pub(crate) capability_check: Option<Ident>,
    /// The actor type's own name (the last segment of the `impl`'s self type).
    pub(crate) actor_ident: Ident,
}

/// Removes our marker attributes from a method, returning the hook or role they name.
enum Role {
    Handler {
        rename: Option<Ident>,
        receive: bool,
        retry: Option<proc_macro2::Span>,
    },
    Hook(HookKind),
    CapabilityCheck,
    Helper,
}

fn take_role(method: &mut ImplItemFn) -> syn::Result<Role> {
    let mut role = None;
    let mut kept = Vec::new();
    for attr in method.attrs.drain(..) {
        let name = attr.path().get_ident().map(|i| i.to_string());
        let found = match name.as_deref() {
            Some("helper") => Some(Role::Helper),
            Some("capability_check") => Some(Role::CapabilityCheck),
            Some("message") => {
                let mut rename = None;
                let mut retry = None;
                attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("name") {
                        let lit: LitStr = meta.value()?.parse()?;
                        rename = Some(lit.parse::<Ident>()?);
                        Ok(())
                    } else if meta.path.is_ident("retry") {
                        retry = Some(meta.path.span());
                        Ok(())
                    } else {
                        Err(meta.error(
                            "expected `#[message(name = \"TypeName\")]` or `#[message(retry)]`",
                        ))
                    }
                })?;
                Some(Role::Handler {
                    rename,
                    receive: false,
                    retry,
                })
            }
            Some("receive") => {
                let mut retry = None;
                if !matches!(attr.meta, syn::Meta::Path(_)) {
                    attr.parse_nested_meta(|meta| {
                        if meta.path.is_ident("retry") {
                            retry = Some(meta.path.span());
                            Ok(())
                        } else {
                            Err(meta.error("expected `#[receive]` or `#[receive(retry)]`"))
                        }
                    })?;
                }
                Some(Role::Handler {
                    rename: None,
                    receive: true,
                    retry,
                })
            }
            Some(n) => HookKind::from_attr(n).map(Role::Hook),
            None => None,
        };
        match (found, &role) {
            (Some(_), Some(_)) => {
                return Err(Error::new_spanned(
                    &attr,
                    "a method can have only one role: remove one of its `#[actor]` attributes",
                ))
            }
            (Some(r), None) => role = Some(r),
            (None, _) => kept.push(attr),
        }
    }
    method.attrs = kept;
    Ok(role.unwrap_or(Role::Handler {
        rename: None,
        receive: false,
        retry: None,
    }))
}

fn is_context(ty: &Type) -> Option<bool> {
    let Type::Reference(r) = ty else { return None };
    let Type::Path(p) = &*r.elem else { return None };
    let last = p.path.segments.last()?;
    (last.ident == "Context").then_some(r.mutability.is_some())
}

/// Methods of `Addr` and `AsAddr`: a handler of the same name could not be called on an address.
const RESERVED: &[&str] = &[
    "id",
    "tell",
    "try_tell",
    "ask",
    "default_timeout",
    "request_exit",
    "is_alive",
    "queue_len",
    "address",
    "recipient",
    "addr",
    "clone",
];

/// `T` when `ty` is `ReplyHandle<T>`.
fn reply_handle_type(ty: &Type) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "ReplyHandle" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) if args.args.len() == 1 => Some(t.clone()),
        _ => None,
    }
}

fn pascal_case(ident: &Ident) -> Ident {
    let raw = ident.to_string();
    let raw = raw.trim_start_matches("r#");
    let mut out = String::new();
    let mut upper = true;
    for c in raw.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    Ident::new(&out, ident.span())
}

/// Checks that a handler or hook is an `async fn(&mut self or &self, ...)` without generics.
/// `is_handler` adds the hint about `#[helper]` (which only makes sense for unmarked methods).
fn check_signature(method: &ImplItemFn, what: &str, is_handler: bool) -> syn::Result<()> {
    let sig = &method.sig;
    if sig.asyncness.is_none() {
        let hint = if is_handler {
            "; to keep a plain method in this impl block, mark it `#[helper]` (or move it to another \
             `impl` block)"
        } else {
            ": write `async fn`"
        };
        return Err(Error::new(
            sig.fn_token.span(),
            format!("{what} must be an `async fn`{hint}"),
        ));
    }
    if let Some(param) = sig.generics.params.first() {
        return Err(Error::new_spanned(
            param,
            format!(
                "{what} cannot be generic: a message type needs concrete argument types; make the \
                 actor itself generic instead (`impl<T> MyActor<T>`)"
            ),
        ));
    }
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() => Ok(()),
        Some(FnArg::Receiver(r)) => Err(Error::new_spanned(
            r,
            format!(
                "{what} must borrow the actor, which lives on after each message: take `&mut self` \
                 or `&self` instead"
            ),
        )),
        _ => Err(Error::new(
            sig.paren_token.span.join(),
            format!(
                "{what} must take `&mut self` (or `&self`) as its first argument: add it before the \
                 other arguments"
            ),
        )),
    }
}

/// The arguments after `self`: `read_args` makes one `Arg` of each, in this order.
fn typed_inputs(method: &ImplItemFn) -> impl Iterator<Item = &syn::PatType> {
    method.sig.inputs.iter().filter_map(|input| match input {
        FnArg::Typed(pt) => Some(pt),
        FnArg::Receiver(_) => None,
    })
}

/// Checks that a hook takes its notice (if it has one) and the optional context, nothing else,
/// pointing at the argument to remove or at the argument list to complete.
fn check_hook_args(
    method: &ImplItemFn,
    kind: HookKind,
    what: &str,
    args: &[Arg],
) -> syn::Result<()> {
    let context = "`ctx: &mut Context<Self>`";
    if let Some(pt) = typed_inputs(method)
        .zip(args)
        .find_map(|(pt, a)| matches!(a, Arg::Reply { .. }).then_some(pt))
    {
        return Err(Error::new_spanned(
            pt,
            format!("{what} answers no message, so it cannot take a `ReplyHandle`: remove this argument"),
        ));
    }
    let mut notices = typed_inputs(method)
        .zip(args)
        .filter(|(_, a)| matches!(a, Arg::Field { .. }))
        .map(|(pt, _)| pt);
    match (kind.notice_type(), notices.next(), notices.next()) {
        (None, Some(extra), _) => Err(Error::new_spanned(
            extra,
            format!(
                "{what} takes no argument besides the optional {context}: remove this argument"
            ),
        )),
        (Some(notice), Some(_), Some(extra)) => Err(Error::new_spanned(
            extra,
            format!(
                "{what} takes one `thespian::{notice}` and the optional {context}, nothing else: \
                 remove this argument"
            ),
        )),
        (Some(notice), None, _) => Err(Error::new(
            method.sig.paren_token.span.join(),
            format!("{what} receives a notice: add an argument of type `thespian::{notice}`"),
        )),
        _ => Ok(()),
    }
}

/// The message type of a `#[receive]` handler: the type of its one message argument.
fn received_type(method: &ImplItemFn, args: &[Arg]) -> syn::Result<Type> {
    let mut fields = typed_inputs(method)
        .zip(args)
        .filter_map(|(pt, a)| match a {
            Arg::Field { ty, .. } => Some((pt, ty)),
            Arg::Context { .. } | Arg::Reply { .. } => None,
        });
    match (fields.next(), fields.next()) {
        (Some((_, ty)), None) => Ok(ty.clone()),
        (Some(_), Some((extra, _))) => Err(Error::new_spanned(
            extra,
            "a `#[receive]` handler takes exactly one message argument (whose type implements \
             `Message`), besides the optional context: put the other values in that message type, \
             or remove `#[receive]` to have a message generated from all the arguments",
        )),
        (None, _) => Err(Error::new(
            method.sig.paren_token.span.join(),
            "a `#[receive]` handler takes exactly one message argument, whose type implements \
             `Message`: add it, e.g. `msg: MyMessage`",
        )),
    }
}

fn read_args(method: &ImplItemFn) -> syn::Result<Vec<Arg>> {
    let mut args = Vec::new();
    let mut saw_context = false;
    for input in method.sig.inputs.iter().skip(1) {
        let FnArg::Typed(pt) = input else { continue };
        if let Some(mutable) = is_context(&pt.ty) {
            if saw_context {
                return Err(Error::new_spanned(
                    pt,
                    "the context can be taken only once: remove this argument",
                ));
            }
            saw_context = true;
            args.push(Arg::Context { mutable });
            continue;
        }
        if let Some(ty) = reply_handle_type(&pt.ty) {
            if args.iter().any(|a| matches!(a, Arg::Reply { .. })) {
                return Err(Error::new_spanned(
                    pt,
                    "a handler can take only one `ReplyHandle`: remove this argument",
                ));
            }
            args.push(Arg::Reply { ty });
            continue;
        }
        match &*pt.pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => args.push(Arg::Field {
                name: pi.ident.clone(),
                ty: (*pt.ty).clone(),
            }),
            other => {
                return Err(Error::new_spanned(
                    other,
                    "handler arguments become message fields, so each needs a plain name: write \
                     `name: Type` and destructure inside the body",
                ))
            }
        }
        if let Type::Reference(r) = &*pt.ty {
            return Err(Error::new_spanned(
                r,
                "a message field cannot be a reference (messages outlive the sender's borrow): \
                 take the value by ownership, e.g. `String` rather than `&str`",
            ));
        }
        if let Type::ImplTrait(t) = &*pt.ty {
            return Err(Error::new_spanned(
                t,
                "`impl Trait` arguments make a handler generic; use a concrete type",
            ));
        }
    }
    Ok(args)
}

impl ActorModel {
    pub(crate) fn read(options: Options, mut item: ItemImpl) -> syn::Result<Self> {
        if let Some((_, path, _)) = &item.trait_ {
            return Err(Error::new_spanned(
                path,
                "`#[actor]` goes on an inherent `impl` block (`impl MyActor { ... }`), not on a trait \
                 impl: put the handlers in an inherent block and implement the trait separately",
            ));
        }
        for param in &item.generics.params {
            match param {
                GenericParam::Lifetime(l) => {
                    return Err(Error::new_spanned(
                        l,
                        "an actor cannot borrow (it lives in its own task): remove the lifetime parameter",
                    ))
                }
                GenericParam::Const(c) => {
                    return Err(Error::new_spanned(
                        c,
                        "const generic actors are not supported by `#[actor]`; implement `Actor` by hand",
                    ))
                }
                GenericParam::Type(_) => {}
            }
        }
        let actor_ident = match &*item.self_ty {
            Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.clone()),
            _ => None,
        }
        .ok_or_else(|| {
            Error::new_spanned(
                &item.self_ty,
                "`#[actor]` needs a named type: `impl MyActor { ... }`",
            )
        })?;

        let mut handlers: Vec<Handler> = Vec::new();
        let mut hooks: Vec<Hook> = Vec::new();
        let mut capability_check = None;
        for impl_item in &mut item.items {
            let ImplItem::Fn(method) = impl_item else {
                continue;
            };
            match take_role(method)? {
                Role::Helper => {}
                Role::CapabilityCheck => {
                    if method.sig.asyncness.is_some() || method.sig.receiver().is_some() {
                        return Err(Error::new_spanned(
                            &method.sig,
                            "a `#[capability_check]` is a plain `fn(capabilities: &Capabilities, \
                             requirements: &Capabilities) -> bool`, without `self` or `async`",
                        ));
                    }
                    capability_check = Some(method.sig.ident.clone());
                }
                Role::Hook(kind) => {
                    let what = format!("the `#[{}]` hook", kind.attr_name());
                    check_signature(method, &what, false)?;
                    let args = read_args(method)?;
                    check_hook_args(method, kind, &what, &args)?;
                    if hooks.iter().any(|h| h.kind == kind) {
                        return Err(Error::new(
                            method.sig.ident.span(),
                            format!("{what} is defined twice"),
                        ));
                    }
                    hooks.push(Hook {
                        kind,
                        method: method.sig.ident.clone(),
                        args,
                    });
                }
                Role::Handler {
                    rename,
                    receive,
                    retry,
                } => {
                    check_signature(method, "a handler", true)?;
                    let name = method.sig.ident.to_string();
                    if RESERVED.contains(&name.as_str()) {
                        return Err(Error::new(
                            method.sig.ident.span(),
                            format!(
                                "a handler named `{name}` would be hidden by the address's own \
                                 `{name}` method: rename the handler"
                            ),
                        ));
                    }
                    let args = read_args(method)?;
                    let existing = if receive {
                        Some(received_type(method, &args)?)
                    } else {
                        None
                    };
                    let (variant, message) = match rename {
                        Some(name) => (name.clone(), name),
                        None => {
                            let variant = pascal_case(&method.sig.ident);
                            let message = format!("{actor_ident}{variant}");
                            (variant, Ident::new(&message, method.sig.ident.span()))
                        }
                    };
                    if let Some(first) = handlers
                        .iter()
                        .find(|h| h.message == message || h.variant == variant)
                    {
                        return Err(Error::new(
                            method.sig.ident.span(),
                            format!(
                                "two handlers make the message type `{message}` (the other is `{}`); \
                                 rename one with `#[message(name = \"OtherName\")]`",
                                first.method
                            ),
                        ));
                    }
                    let returned = match &method.sig.output {
                        ReturnType::Default => None,
                        ReturnType::Type(_, ty) => match &**ty {
                            Type::Tuple(t) if t.elems.is_empty() => None,
                            ty => Some(ty.clone()),
                        },
                    };
                    // serde's own error for a borrowed reply ("`Deserialize` is not general
                    // enough") says neither why nor what to do instead.
                    if let (true, Some(Type::Reference(r))) = (options.serde, &returned) {
                        return Err(Error::new_spanned(
                            r,
                            concat!(
                                "a borrowed reply cannot travel between nodes, and `#[actor]` ",
                                "makes every reply able to: return an owned value (`String` ",
                                "rather than `&'static str`), or add `#[actor(no_serde)]` for a ",
                                "local-only actor"
                            ),
                        ));
                    }
                    let handle = args.iter().find_map(|a| match a {
                        Arg::Reply { ty } => Some(ty.clone()),
                        _ => None,
                    });
                    let (reply, answers) =
                        match (handle, returned) {
                            (Some(_), Some(_)) => return Err(Error::new_spanned(
                                &method.sig.output,
                                "a handler that takes a `ReplyHandle` answers through it, so it \
                                 returns nothing: remove the return type",
                            )),
                            (Some(ty), None) => (Some(ty), false),
                            (None, returned) => (returned, true),
                        };
                    let docs = method
                        .attrs
                        .iter()
                        .filter(|a| a.path().is_ident("doc"))
                        .cloned()
                        .collect();
                    handlers.push(Handler {
                        method: method.sig.ident.clone(),
                        variant,
                        message,
                        vis: method.vis.clone(),
                        docs,
                        args,
                        fallible: reply.as_ref().is_some_and(is_result),
                        reply,
                        answers,
                        existing,
                        retry: retry.or(options.retry),
                    });
                }
            }
        }
        if handlers.is_empty() {
            let (impl_token, self_ty) = (&item.impl_token, &item.self_ty);
            return Err(Error::new_spanned(
                quote::quote!(#impl_token #self_ty),
                "an actor needs at least one handler: add an `async fn name(&mut self, ...)` to this \
                 impl block (hooks, helpers and the capability check are not handlers)",
            ));
        }
        Ok(ActorModel {
            item,
            options,
            handlers,
            hooks,
            capability_check,
            actor_ident,
        })
    }
}

/// Parses `#[actor]` options (used by the entry point).
pub(crate) fn parse_options(attr: proc_macro2::TokenStream) -> syn::Result<Options> {
    syn::parse2(attr)
}

/// Whether a type is written as a `Result` (`Result<T, E>`, `io::Result<T>`, …).
fn is_result(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|s| s.ident == "Result"))
}
