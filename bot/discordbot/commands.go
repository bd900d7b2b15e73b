package discordbot

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// optionTypes maps bot.OptionSpec types to Discord's option types.
var optionTypes = map[string]discordgo.ApplicationCommandOptionType{
	"string":  discordgo.ApplicationCommandOptionString,
	"integer": discordgo.ApplicationCommandOptionInteger,
	"boolean": discordgo.ApplicationCommandOptionBoolean,
	"user":    discordgo.ApplicationCommandOptionUser,
	"channel": discordgo.ApplicationCommandOptionChannel,
	"role":    discordgo.ApplicationCommandOptionRole,
}

// applicationCommands converts the capabilities' command specs to Discord's
// application commands: chat input commands with their options in declared
// order, or message context menus (type 3) without description or options.
func applicationCommands(specs []bot.CommandSpec) ([]*discordgo.ApplicationCommand, error) {
	out := make([]*discordgo.ApplicationCommand, 0, len(specs))
	for _, s := range specs {
		c := &discordgo.ApplicationCommand{Name: s.Name, Type: discordgo.ChatApplicationCommand, Description: s.Description}
		if s.Permission != "" {
			p, err := strconv.ParseInt(s.Permission, 10, 64)
			if err != nil || p < 0 {
				return nil, fmt.Errorf("discord command %q: permission %q is not a decimal permission bit set", s.Name, s.Permission)
			}
			c.DefaultMemberPermissions = &p
		}
		if s.MessageMenu {
			c.Type, c.Description = discordgo.MessageApplicationCommand, ""
			out = append(out, c)
			continue
		}
		if len(s.Subcommands) > 0 {
			for _, sub := range s.Subcommands {
				opts, err := commandOptions(s.Name+" "+sub.Name, sub.Options)
				if err != nil {
					return nil, err
				}
				c.Options = append(c.Options, &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand,
					Name: sub.Name, Description: sub.Description, Options: opts})
			}
			out = append(out, c)
			continue
		}
		opts, err := commandOptions(s.Name, s.Options)
		if err != nil {
			return nil, err
		}
		c.Options = opts
		out = append(out, c)
	}
	return out, nil
}

// commandOptions converts the options of the command (or subcommand)
// called name, required ones first.
func commandOptions(name string, specs []bot.OptionSpec) ([]*discordgo.ApplicationCommandOption, error) {
	var out []*discordgo.ApplicationCommandOption
	optional := false
	for _, o := range specs {
		t, ok := optionTypes[o.Type]
		if !ok {
			return nil, fmt.Errorf("discord command /%s: option %q has type %q; want string, integer, boolean, user, channel or role", name, o.Name, o.Type)
		}
		if o.Required && optional {
			return nil, fmt.Errorf("discord command /%s: required option %q comes after an optional one; Discord wants required options first", name, o.Name)
		}
		optional = optional || !o.Required
		out = append(out, &discordgo.ApplicationCommandOption{Type: t, Name: o.Name, Description: o.Description, Required: o.Required})
	}
	return out, nil
}

// registerCommands replaces the application's commands in every configured
// guild with Options.Commands (PUT …/guilds/{g}/commands, a bulk overwrite:
// running it again changes nothing).
func (a *Adapter) registerCommands(ctx context.Context) error {
	if len(a.opts.Guilds) == 0 {
		if len(a.commands) > 0 {
			a.log.Warn("discord: no guild configured, so no commands were registered")
		}
		return nil
	}
	a.mu.Lock()
	app := a.appID
	a.mu.Unlock()
	if app == "" {
		return errors.New("discord: the application id is unknown: set DISCORD_APP_ID")
	}
	for _, g := range a.opts.Guilds {
		if _, err := a.session.ApplicationCommandBulkOverwrite(app, g, a.commands, discordgo.WithContext(ctx)); err != nil {
			return fmt.Errorf("register Discord commands in guild %s: %w", g, err)
		}
	}
	return nil
}
