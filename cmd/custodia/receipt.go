package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/letter"
)

func (a *app) receiptCmd() *cobra.Command {
	var client, since, until, file string
	var ids []int64
	var force bool
	cmd := &cobra.Command{
		Use:   "receipt USER [--client ID] [--since TIME] [--until TIME] [--id N,…] [-o FILE.pdf [--force]]",
		Short: "list a user's completed uploads with the digest of the list, or write their receipt (acuse de recibo) as a PDF",
		Long: `receipt reads the audit trail for the user's completed uploads (failed,
refused and infected ones are never listed), optionally to one client's
folders, within [--since, --until) (RFC 3339 times; --until defaults to
now) or among the audit rows --id names, and prints one per line (audit id,
time, bytes, sha256, protocol, remote address, path) and then the sha256 of
the receipt's canonical listing. With -o it writes the receipt: a PDF in
Spanish a correspondent keeps as proof that the dossier received the files,
with the same digest and the command that prints it again. No upload in
the range is an error, not an empty receipt.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := letter.ReceiptQuery{User: args[0], Client: client, IDs: ids}
			for _, t := range []struct {
				flag, val string
				dst       *time.Time
			}{{"since", since, &q.Since}, {"until", until, &q.Until}} {
				if !cmd.Flags().Changed(t.flag) {
					continue
				}
				v, err := time.Parse(time.RFC3339, t.val)
				if err != nil {
					return fmt.Errorf("--%s %q: want an RFC 3339 time such as 2026-11-01T00:00:00Z", t.flag, t.val)
				}
				*t.dst = v
			}
			if cmd.Flags().Changed("client") && client == "" {
				return fmt.Errorf("--client: empty; name a client account")
			}
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			b, err := letter.ReceiptFor(cmd.Context(), st, a.cfg.Organization, q)
			if err != nil {
				return err
			}
			if file == "" {
				for _, f := range b.Files {
					a.printRow(f, f.ID, f.At.Format(time.RFC3339Nano), f.Size, dash(f.SHA256), dash(f.Protocol), dash(f.Remote), f.Path)
				}
				a.printRow(map[string]any{"listing_sha256": b.Digest(), "files": len(b.Files), "bytes": b.Bytes()},
					"listing-sha256", b.Digest(), strconv.Itoa(len(b.Files))+" files", strconv.FormatInt(b.Bytes(), 10)+" bytes")
				return nil
			}
			pdf, err := letter.Receipt(b)
			if err != nil {
				return err
			}
			msg, dest := a.out, file
			if file == "-" {
				msg, dest = a.err, "standard output"
				if _, err := a.out.Write(pdf); err != nil {
					return fmt.Errorf("the receipt of %s was not written: %w", b.User, err)
				}
			} else if err := writeLetterFile(file, pdf, force); err != nil {
				return err
			}
			fmt.Fprintf(msg, "receipt for %s written to %s: %d files, %d bytes, listing sha256 %s\n",
				b.User, dest, len(b.Files), b.Bytes(), b.Digest())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&client, "client", "", "only uploads to this client account's folders")
	f.StringVar(&since, "since", "", "only uploads at or after this RFC 3339 time")
	f.StringVar(&until, "until", "", "only uploads before this RFC 3339 time (default: now)")
	f.Int64SliceVar(&ids, "id", nil, "only these audit rows (a batch), comma-separated or repeated")
	f.StringVarP(&file, "output", "o", "", "write the receipt to this PDF file, mode 0600 (- for standard output)")
	f.BoolVar(&force, "force", false, "replace FILE if it exists")
	return cmd
}

// dash is s, or "-" when empty, as lists print an empty value.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
