//! `netctl policy`: the policies, and their rules as Contiv's netctl handles them
//! (`policy rule-add POLICY RULE-ID ...`, `policy rule-ls POLICY`, `policy rule-rm POLICY
//! RULE-ID`).

use super::list::{list, ListArgs};
use super::objects::{object_command, Create, PolicyArgs, RuleArgs, Verb};
use super::CliResult;
use crate::client::Client;
use crate::model::{Kind, Object, DEFAULT_TENANT};
use clap::{Args, Subcommand};

/// What to do with policies and their rules.
#[derive(Subcommand)]
pub(super) enum PolicyVerb {
    #[command(flatten)]
    Policy(Verb<PolicyArgs>),
    /// Adds (or replaces) a rule of a policy.
    RuleAdd(RuleArgs),
    /// Lists a policy's rules, by priority.
    RuleLs(RuleListArgs),
    /// Deletes a rule of a policy.
    RuleRm(RuleKeyArgs),
}

/// `policy rule-ls POLICY`.
#[derive(Args)]
pub(super) struct RuleListArgs {
    /// The policy.
    policy: String,
    #[command(flatten)]
    list: ListArgs,
}

/// `policy rule-rm POLICY RULE-ID`.
#[derive(Args)]
pub(super) struct RuleKeyArgs {
    /// The policy.
    policy: String,
    /// The rule's id within the policy.
    rule_id: String,
    /// Tenant.
    #[arg(short, long, default_value = DEFAULT_TENANT)]
    tenant: String,
}

/// Runs a `policy` command.
pub(super) fn policy_command(client: &Client, verb: PolicyVerb) -> CliResult<()> {
    match verb {
        PolicyVerb::Policy(verb) => object_command(client, verb),
        PolicyVerb::RuleAdd(rule) => {
            client.put(&rule.object()?)?;
            Ok(())
        }
        PolicyVerb::RuleLs(args) => {
            let policy = args.policy;
            list(
                client,
                Kind::Rule,
                &args.list,
                |o| matches!(o, Object::Rule(r) if r.policy_name == policy),
            )
        }
        PolicyVerb::RuleRm(rule) => Ok(client.delete(
            Kind::Rule,
            &format!("{}:{}:{}", rule.tenant, rule.policy, rule.rule_id),
        )?),
    }
}
