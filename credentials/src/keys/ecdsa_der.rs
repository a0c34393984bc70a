//! ECDSA signature encodings: the fixed `r || s` form of JOSE/COSE and the DER
//! `SEQUENCE { INTEGER r, INTEGER s }` form of X.509 and PKCS#11-adjacent APIs.

/// Converts DER `Ecdsa-Sig-Value` to fixed `r || s` with `n`-byte halves; `None` if malformed.
pub fn der_to_fixed(der: &[u8], n: usize) -> Option<Vec<u8>> {
    let (tag, body, rest) = read_tlv(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (t1, r, rest) = read_tlv(body)?;
    let (t2, s, rest) = read_tlv(rest)?;
    if t1 != 0x02 || t2 != 0x02 || !rest.is_empty() {
        return None;
    }
    let mut out = vec![0u8; 2 * n];
    put_unsigned(r, &mut out[..n])?;
    put_unsigned(s, &mut out[n..])?;
    Some(out)
}

/// Converts fixed `r || s` to DER `Ecdsa-Sig-Value`.
pub fn fixed_to_der(fixed: &[u8]) -> Vec<u8> {
    let n = fixed.len() / 2;
    let int = |x: &[u8]| {
        let x = &x[x
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(x.len().saturating_sub(1))..];
        let mut v = Vec::with_capacity(x.len() + 3);
        v.push(0x02);
        let pad = x.first().is_some_and(|b| b & 0x80 != 0);
        push_len(&mut v, x.len() + usize::from(pad));
        if pad {
            v.push(0);
        }
        v.extend_from_slice(x);
        v
    };
    let (r, s) = (int(&fixed[..n]), int(&fixed[n..]));
    let mut out = vec![0x30];
    push_len(&mut out, r.len() + s.len());
    out.extend(r);
    out.extend(s);
    out
}

fn push_len(v: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        v.push(len as u8);
    } else {
        v.push(0x81);
        v.push(len as u8);
    }
}

fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        l if l < 0x80 => (usize::from(l), rest),
        0x81 => {
            let (&l, rest) = rest.split_first()?;
            if l < 0x80 {
                return None; // non-minimal length
            }
            (usize::from(l), rest)
        }
        _ => return None,
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

fn put_unsigned(int: &[u8], out: &mut [u8]) -> Option<()> {
    // A DER INTEGER is minimal and, for r and s, positive.
    if int.is_empty() || int[0] & 0x80 != 0 || (int.len() > 1 && int[0] == 0 && int[1] & 0x80 == 0)
    {
        return None;
    }
    let int = if int[0] == 0 { &int[1..] } else { int };
    if int.len() > out.len() {
        return None;
    }
    let start = out.len() - int.len();
    out[start..].copy_from_slice(int);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_high_bit_and_leading_zero_values() {
        let mut fixed = vec![0u8; 64];
        fixed[0] = 0x80;
        fixed[31] = 1;
        fixed[33] = 0x7f;
        fixed[63] = 9;
        let der = fixed_to_der(&fixed);
        assert_eq!(der_to_fixed(&der, 32).unwrap(), fixed);
    }

    #[test]
    fn rejects_negative_and_non_minimal_integers() {
        assert!(der_to_fixed(&[0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01], 32).is_none());
        assert!(
            der_to_fixed(&[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01], 32).is_none()
        );
        assert!(
            der_to_fixed(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00], 32).is_none()
        );
    }
}
